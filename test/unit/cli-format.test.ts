// `--format`: the Go template subset, Go's printing of values, docker's
// template functions, tables and json lines.
import { Shown, TemplateError, checkFormat, compileTemplate, goJson, goString } from '../../src/cli/format';
import { naturalCompare, renderListing, withMethods } from '../../src/cli/listing';
import { alignColumns } from '../../src/cli/table';

const render = (template: string, data: unknown): string => compileTemplate(template).render(data);

const inspect = {
  Id: 'abc',
  Name: '/web',
  State: { Status: 'created', Running: false, Pid: 0 },
  Config: {
    Env: ['PATH=/bin', 'A=1'],
    Labels: { 'com.example.team': 'storage', b: '2' },
    Entrypoint: null,
    Volumes: null,
    Cmd: ['sh', '-c', 'echo <hi> & bye'],
  },
  HostConfig: { MemorySwappiness: null, Binds: [] },
  Mounts: [
    { Type: 'volume', Name: 'v1', Source: '/var/lib/berth/volumes/v1/_data', Destination: '/data', RW: true },
    { Type: 'bind', Source: '/host', Destination: '/in', RW: false },
  ],
};

describe('templates', () => {
  test('fields and Go printing of slices, maps, booleans and numbers', () => {
    expect(render('{{.Id}}', inspect)).toBe('abc');
    expect(render('{{.State.Status}} {{.State.Running}} {{.State.Pid}}', inspect)).toBe('created false 0');
    expect(render('{{.Config.Env}}', inspect)).toBe('[PATH=/bin A=1]');
    expect(render('{{.Config.Labels}}', inspect)).toBe('map[b:2 com.example.team:storage]');
    // Objects of capitalized fields are Go structs: `{v1 v2}`, as docker prints its typed data.
    expect(render('{{.Mounts}}', inspect)).toBe('[{volume v1 /var/lib/berth/volumes/v1/_data /data   true } {bind  /host /in   false }]');
    expect(render('{{.HostConfig.PortBindings}}', { HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } } })).toBe(
      'map[80/tcp:[{ 8080}]]',
    );
    expect(render('{{.Config.Labels}} {{.LogConfig.Config}}', { Config: { Labels: { Upper: 'x' } }, LogConfig: { Config: {} } })).toBe('map[Upper:x] map[]');
    expect(render('{{.State}}', { State: { Status: 'created', Pid: 7 } })).toBe('{created false false false false false 7 0    <nil>}');
    expect(render('{{.Other}}', { Other: { B: 1, A: null } })).toBe('{1 []}');
    expect(render('{{.}}', { a: 1.5, b: 1700000000 })).toBe('map[a:1.5 b:1700000000]');
  });

  test('missing fields print <no value>; nulls print as their Go type would', () => {
    expect(render('{{.Nope}}', inspect)).toBe('<no value>');
    expect(render('{{.Nope.Deeper}}', inspect)).toBe('<no value>');
    expect(render('{{.Config.Entrypoint}} {{.Config.Volumes}} {{.HostConfig.MemorySwappiness}}', inspect)).toBe('[] map[] <nil>');
    expect(render('{{json .Config.Entrypoint}}', inspect)).toBe('null');
  });

  test('json, join, index, split, upper, lower, title, len, pad, truncate, printf', () => {
    expect(render('{{json .Mounts}}', inspect)).toBe(JSON.stringify(inspect.Mounts));
    expect(render('{{json .Config.Cmd}}', inspect)).toBe('["sh","-c","echo <hi> & bye"]');
    expect(render('{{join .Config.Env ","}}', inspect)).toBe('PATH=/bin,A=1');
    expect(render('{{index .Config.Labels "com.example.team"}}', inspect)).toBe('storage');
    expect(render('{{index .Config.Labels "absent"}}', inspect)).toBe('<no value>');
    expect(render('{{index .Config.Env 1}}', inspect)).toBe('A=1');
    expect(render('{{(index .Mounts 0).Name}}', inspect)).toBe('v1');
    expect(render('{{split "a:b:c" ":"}}', {})).toBe('[a b c]');
    expect(render('{{upper .Name}} {{lower "AbC"}} {{title "hello world"}}', inspect)).toBe('/WEB abc Hello World');
    expect(render('{{len .Config.Env}} {{len .Config.Labels}} {{len .Name}}', inspect)).toBe('2 2 4');
    expect(render('[{{pad .Id 1 2}}] {{truncate .Name 3}}', inspect)).toBe('[ abc  ] /we');
    expect(render('{{printf "%s has %d env" .Id (len .Config.Env)}}', inspect)).toBe('abc has 2 env');
  });

  test('pipelines, comparisons, if/else, range with and without variables, with', () => {
    expect(render('{{.Name | upper}}', inspect)).toBe('/WEB');
    // The piped value is the last argument, as in Go.
    expect(render('{{.Id | printf "%s!"}}', inspect)).toBe('abc!');
    expect(render('{{"," | join .Config.Env}}', inspect)).toBe('PATH=/bin,A=1');
    expect(render('{{if eq .State.Status "created"}}new{{else}}old{{end}}', inspect)).toBe('new');
    expect(render('{{if .State.Running}}up{{else if .Config.Env}}env{{else}}none{{end}}', inspect)).toBe('env');
    expect(render('{{if not .Config.Volumes}}no volumes{{end}}', inspect)).toBe('no volumes');
    expect(render('{{range .Mounts}}{{.Destination}} {{end}}', inspect)).toBe('/data /in ');
    expect(render('{{range $i, $m := .Mounts}}{{$i}}={{$m.Type}};{{end}}', inspect)).toBe('0=volume;1=bind;');
    expect(render('{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}', inspect)).toBe('b:2 com.example.team:storage ');
    expect(render('{{range .HostConfig.Binds}}x{{else}}no binds{{end}}', inspect)).toBe('no binds');
    expect(render('{{with .State}}{{.Status}}{{end}}', inspect)).toBe('created');
    expect(render('{{range .Mounts}}{{$.Id}}{{end}}', inspect)).toBe('abcabc');
    expect(render('{{- " a " -}}  {{/* a comment */}} {{- "b"}}', {})).toBe(' a b');
  });

  test('what it cannot do is a clear error, not wrong output', () => {
    expect(() => compileTemplate('{{.Id')).toThrow('template parsing error: unclosed action');
    expect(() => compileTemplate('{{nosuch .Id}}')).toThrow('template parsing error: function "nosuch" not defined');
    expect(() => compileTemplate('{{define "x"}}{{end}}')).toThrow(/"define" is not supported/);
    expect(() => compileTemplate('{{if .A}}open')).toThrow('has no {{end}}');
    expect(() => compileTemplate('{{end}}')).toThrow('unexpected {{end}}');
    expect(() => render('{{.Name.Sub}}', inspect)).toThrow(TemplateError);
    expect(() => render('{{index .Config.Env 5}}', inspect)).toThrow('index out of range: 5');
    expect(() => checkFormat('table {{.ID')).toThrow('unclosed action');
  });

  test('Shown values print as text and index as data; methods take arguments', () => {
    const row = withMethods(
      { Names: new Shown('a,b', ['a', 'b']), Labels: new Shown('k=v', { k: 'v' }) },
      { Label: (name: unknown) => (name === 'k' ? 'v' : '') },
    );
    expect(render('{{.Names}} {{join .Names "+"}} {{index .Labels "k"}} {{.Label "k"}} {{.Labels}}', row)).toBe('a,b a+b v v k=v');
    expect(render('{{json .}}', row)).toBe('{"Names":"a,b","Labels":"k=v"}');
  });

  test('goString and goJson follow Go', () => {
    expect(goString([1, 'a', [true, null]])).toBe('[1 a [true <nil>]]');
    expect(goJson({ a: '<x>&' })).toBe('{"a":"\\u003cx\\u003e\\u0026"}');
    expect(goJson([{ a: [] }], '    ')).toBe('[\n    {\n        "a": []\n    }\n]');
  });
});

describe('listings', () => {
  const view = {
    defaultTable: '{{.ID}}\\t{{.Name}}\\t{{.Size}}',
    headers: { ID: 'ID', Name: 'NAME', Size: 'SIZE' },
    context: (r: { id: string; name: string }) => ({ ID: r.id, Name: r.name, Size: '1B' }),
  };
  const rows = [
    { id: '1', name: 'short' },
    { id: '22', name: 'a-much-longer-name' },
  ];

  test('the default table aligns columns (min width 10, padding 3), the last one unpadded', () => {
    expect(renderListing(rows, undefined, view)).toBe(
      ['ID        NAME                 SIZE', '1         short                1B', '22        a-much-longer-name   1B', ''].join('\n'),
    );
  });

  test('table TEMPLATE has a header; a plain template has none; json is one sorted object per line', () => {
    expect(renderListing(rows, 'table {{.Name}}\\t{{.ID}}', view)).toBe('NAME                 ID\nshort                1\na-much-longer-name   22\n');
    expect(renderListing(rows, '{{.Name}}:{{.ID}}', view)).toBe('short:1\na-much-longer-name:22\n');
    expect(renderListing(rows, 'json', view)).toBe('{"ID":"1","Name":"short","Size":"1B"}\n{"ID":"22","Name":"a-much-longer-name","Size":"1B"}\n');
    expect(renderListing([], 'table {{.ID}}', view)).toBe('ID\n');
  });

  test('names sort naturally, as docker sorts volumes: digit runs as numbers, before letters', () => {
    const names = ['vol1', '40b1', 'named', '366e', '1ae0', 'vol10', 'vol2', 'vol02', 'a', '9'];
    expect([...names].sort(naturalCompare)).toEqual(['1ae0', '9', '40b1', '366e', 'a', 'named', 'vol1', 'vol2', 'vol02', 'vol10']);
  });

  test('alignColumns pads every tab-terminated cell of a column alike', () => {
    expect(alignColumns('a\tb\tc\nlonger-than-ten\tx\ty')).toBe(`a${' '.repeat(17)}b${' '.repeat(9)}c\nlonger-than-ten   x${' '.repeat(9)}y`);
  });
});
