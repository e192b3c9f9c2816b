// The mount grammars: texts checked against a dockerd 20.10 (Binds, Mounts,
// Tmpfs, VolumesFrom in POST /containers/create).
import { EngineError } from '../../src/errors';
import {
  duplicateCheck,
  parseBindSpec,
  parseMountSpec,
  parseTmpfs,
  parseVolumesFrom,
  toMountSummary,
  validateVolumeName,
} from '../../src/volume/mountspec';

function errorOf(run: () => unknown): EngineError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected an error');
}

describe('parseBindSpec', () => {
  test.each([
    ['/tmp:/host:ro', { Type: 'bind', Source: '/tmp', Destination: '/host', RW: false, Mode: 'ro', Propagation: 'rprivate' }],
    ['/tmp/:/x/', { Type: 'bind', Source: '/tmp', Destination: '/x', RW: true, Mode: '', Propagation: 'rprivate' }],
    ['/tmp/../tmp:/x//y/', { Type: 'bind', Source: '/tmp', Destination: '/x/y', RW: true, Propagation: 'rprivate' }],
    ['/with space:/a b', { Type: 'bind', Source: '/with space', Destination: '/a b' }],
    ['/rw:/ro', { Type: 'bind', Source: '/rw', Destination: '/ro', RW: true }],
    ['/tmp:/x:cached', { Type: 'bind', Mode: 'cached', RW: true, Propagation: 'rprivate' }],
    ['/etc:/e:ro,Z,slave,cached', { Type: 'bind', Mode: 'ro,Z,slave,cached', Relabel: 'Z', RW: false, Propagation: 'slave' }],
    ['/h:/c:Z,rshared,ro', { Propagation: 'rshared', Relabel: 'Z', RW: false }],
    ['named1:/named', { Type: 'volume', Name: 'named1', Source: '', Driver: 'local', Mode: 'z', Relabel: 'z', RW: true, Propagation: '', CopyData: true }],
    ['vol1:/x:ro', { Type: 'volume', Name: 'vol1', Mode: 'ro', Relabel: '', RW: false, CopyData: true }],
    ['vol1:/x:nocopy,rw', { Type: 'volume', Name: 'vol1', Mode: 'nocopy,rw', RW: true, CopyData: false }],
    ['/x', { Type: 'volume', Name: '', Destination: '/x', Mode: 'z', RW: true, CopyData: true }],
    ['a.b_c-d:/x', { Type: 'volume', Name: 'a.b_c-d' }],
    // The daemon takes an empty mode (only the CLI refuses empty sections).
    ['/p:/q:', { Type: 'bind', Destination: '/q', Mode: '', RW: true }],
  ])('%s', (spec, expected) => {
    expect(parseBindSpec(spec)).toMatchObject(expected);
  });

  test('records the spec as dockerd does', () => {
    expect(parseBindSpec('/tmp:/host:ro').Spec).toEqual({ Type: 'bind', Source: '/tmp', Target: '/host', ReadOnly: true });
    expect(parseBindSpec('named1:/named').Spec).toEqual({ Type: 'volume', Source: 'named1', Target: '/named' });
    expect(parseBindSpec('/x').Spec).toEqual({ Type: 'volume', Target: '/x' });
    expect(parseBindSpec('/a:/b:rslave').Spec).toEqual({
      Type: 'bind',
      Source: '/a',
      Target: '/b',
      BindOptions: { Propagation: 'rslave' },
    });
    expect(parseBindSpec('v1:/b:nocopy').Spec).toEqual({ Type: 'volume', Source: 'v1', Target: '/b', VolumeOptions: { NoCopy: true } });
  });

  test.each([
    ['', "invalid volume specification: ''"],
    [':/x', "invalid volume specification: ':/x'"],
    ['::', "invalid volume specification: '::'"],
    ['/tmp:', "invalid volume specification: '/tmp:'"],
    ['tmp:', "invalid volume specification: 'tmp:'"],
    ['/tmp:::', "invalid volume specification: '/tmp:::'"],
    ['a:b:c:d:e', "invalid volume specification: 'a:b:c:d:e'"],
    ['/x:ro', "invalid volume specification: '/x:ro'"],
    ['/path:shared', "invalid volume specification: '/path:shared'"],
    ['path:ro', "invalid volume specification: 'path:ro'"],
    ['/tmp:/x:ro,rw', 'invalid mode: ro,rw'],
    ['/tmp:/x:z,Z', 'invalid mode: z,Z'],
    ['/tmp:/x:foo', 'invalid mode: foo'],
    ['a:/x:rw,rw', 'invalid mode: rw,rw'],
    ['/p:/p:ro,rshared,rslave', 'invalid mode: ro,rshared,rslave'],
    ['/p:/p:cached,delegated', 'invalid mode: cached,delegated'],
    ['/p:/p:nocopy,nocopy', 'invalid mode: nocopy,nocopy'],
    ['/tmp:/', `invalid volume specification: '/tmp:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`],
    ['/tmp://', `invalid volume specification: '/tmp://': invalid mount config for type "bind": invalid specification: destination can't be '/'`],
    ['/tmp:rel', `invalid volume specification: '/tmp:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
    ['x', `invalid volume specification: 'x': invalid mount config for type "volume": invalid mount path: 'x' mount path must be absolute`],
    ['./', `invalid volume specification: './': invalid mount config for type "volume": invalid mount path: './' mount path must be absolute`],
    ['/tmp::ro', `invalid volume specification: '/tmp::ro': invalid mount config for type "bind": field Target must not be empty`],
    ['/tmp:/x:nocopy', `invalid volume specification: '/tmp:/x:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`],
    ['a1:/x:shared', `invalid volume specification: 'a1:/x:shared': invalid mount config for type "volume": field BindOptions must not be specified`],
    ['name:/p:rprivate', `invalid volume specification: 'name:/p:rprivate': invalid mount config for type "volume": field BindOptions must not be specified`],
    ['a:/x', 'create a: volume name is too short, names should be at least two alphanumeric characters'],
    ['a/b:/x', 'create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    ['-a:/x', 'create -a: "-a" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    ['./x:/x', 'create ./x: "./x" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
  ])('refuses %j', (spec, message) => {
    const err = errorOf(() => parseBindSpec(spec));
    expect(err.message).toBe(message);
    expect(err.code).toBe('EINVAL');
  });

  test('a bind source need not exist', () => {
    expect(parseBindSpec('/nonexistent-berth-source:/x').Source).toBe('/nonexistent-berth-source');
  });
});

describe('parseMountSpec', () => {
  test('bind: clean paths, default propagation, spec kept as given', () => {
    const request = { Type: 'bind', Source: '/etc/', Target: '/m/', ReadOnly: true, Consistency: 'cached' };
    const point = parseMountSpec(request);
    expect(point).toMatchObject({ Type: 'bind', Source: '/etc', Destination: '/m', RW: false, Mode: '', Propagation: 'rprivate', Name: '', Driver: '' });
    expect(point.Spec).toEqual(request);
    expect(point.Spec).not.toBe(request);
  });

  test('bind: propagation from BindOptions; a missing source is fine with CreateMountpoint', () => {
    expect(parseMountSpec({ Type: 'bind', Source: '/tmp', Target: '/x', BindOptions: { Propagation: 'rshared' } }).Propagation).toBe('rshared');
    expect(
      parseMountSpec({ Type: 'bind', Source: '/nonexistent-berth-source', Target: '/x', BindOptions: { CreateMountpoint: true } }).Source,
    ).toBe('/nonexistent-berth-source');
  });

  test('volume: named, anonymous, nocopy, driver', () => {
    expect(parseMountSpec({ Type: 'volume', Source: 'mv1', Target: '/m' })).toMatchObject({
      Type: 'volume',
      Name: 'mv1',
      Source: '',
      Driver: 'local',
      Mode: 'z',
      RW: true,
      CopyData: true,
      Propagation: '',
    });
    expect(parseMountSpec({ Type: 'volume', Target: '/m', VolumeOptions: { NoCopy: true, Labels: { x: 'y' } } })).toMatchObject({
      Name: '',
      CopyData: false,
    });
    expect(parseMountSpec({ Type: 'volume', Source: 'v1', Target: '/m', VolumeOptions: { DriverConfig: { Name: 'other' } } }).Driver).toBe(
      'other',
    );
    expect(parseMountSpec({ Type: 'volume', Source: 'v1', Target: '/m', ReadOnly: true, VolumeOptions: { Subpath: 'a/b' } }).RW).toBe(false);
  });

  test('tmpfs: options become mount data', () => {
    expect(parseMountSpec({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o700 } }).TmpfsOptions).toEqual({
      Data: 'mode=700,size=1m',
    });
    expect(parseMountSpec({ Type: 'tmpfs', Target: '/t', ReadOnly: true, TmpfsOptions: { SizeBytes: 1000, Options: [['noexec']] } }))
      .toMatchObject({ RW: false, TmpfsOptions: { Data: 'ro,size=1000,noexec' } });
  });

  const bind = '"bind"';
  test.each([
    [{ Type: 'bind', Source: '/nonexistent-berth-source', Target: '/m' }, `invalid mount config for type ${bind}: bind source path does not exist: /nonexistent-berth-source`],
    [{ Type: 'bind', Source: '', Target: '/m' }, `invalid mount config for type ${bind}: field Source must not be empty`],
    [{ Type: 'bind', Source: 'rel', Target: '/m' }, `invalid mount config for type ${bind}: invalid mount path: 'rel' mount path must be absolute`],
    [{ Type: 'bind', Source: '/tmp', Target: '/m', BindOptions: { Propagation: 'foo' } }, `invalid mount config for type ${bind}: invalid propagation mode: foo`],
    [{ Type: 'bind', Source: '/tmp', Target: '/m', VolumeOptions: {} }, `invalid mount config for type ${bind}: field VolumeOptions must not be specified`],
    [{ Type: 'volume', Target: '/m', ReadOnly: true }, 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'],
    [{ Type: 'volume', Target: '' }, 'invalid mount config for type "volume": field Target must not be empty'],
    [{ Type: 'volume', Target: '/' }, `invalid mount config for type "volume": invalid specification: destination can't be '/'`],
    [{ Type: 'volume', Target: 'rel' }, `invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`],
    [{ Type: 'volume', Target: '/m', BindOptions: {} }, 'invalid mount config for type "volume": field BindOptions must not be specified'],
    [{ Type: 'volume', Target: '/m', VolumeOptions: { Subpath: 'x' } }, 'invalid mount config for type "volume": must not set Subpath when using anonymous volumes'],
    [{ Type: 'volume', Source: 'v1', Target: '/m', VolumeOptions: { Subpath: '../x' } }, 'invalid mount config for type "volume": subpath must be a relative path within the volume'],
    [{ Type: 'volume', Source: 'a', Target: '/x' }, 'create a: volume name is too short, names should be at least two alphanumeric characters'],
    [{ Type: 'volume', Source: '/abs', Target: '/x' }, 'create /abs: "/abs" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    [{ Type: 'tmpfs', Source: 'x', Target: '/t' }, 'invalid mount config for type "tmpfs": field Source must not be specified'],
    [{ Type: 'tmpfs', Target: '/t', BindOptions: {} }, 'invalid mount config for type "tmpfs": field BindOptions must not be specified'],
    [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { Options: [['foo']] } }, 'invalid mount config for type "tmpfs": invalid option: foo'],
    [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { Options: [['exec', 'a', 'b']] } }, 'invalid mount config for type "tmpfs": invalid option array length'],
    [{ Type: 'foo', Target: '/t' }, 'invalid mount config for type "foo": mount type unknown'],
    [{ Type: '', Target: '/t' }, 'invalid mount config for type "": mount type unknown'],
    [{ Target: '/t' }, 'invalid mount config for type "": mount type unknown'],
  ])('refuses %j', (spec, message) => {
    const err = errorOf(() => parseMountSpec(spec));
    expect(err.message).toBe(message);
    expect(err.code).toBe('EINVAL');
  });
});

describe('parseVolumesFrom', () => {
  test.each([
    ['refc', { container: 'refc', mode: '' }],
    ['refc:', { container: 'refc', mode: '' }],
    ['refc:ro', { container: 'refc', mode: 'ro' }],
    ['refc:rw', { container: 'refc', mode: 'rw' }],
    ['refc:ro,z', { container: 'refc', mode: 'ro' }],
    ['refc:z', { container: 'refc', mode: 'rw' }],
  ])('%s', (spec, expected) => {
    expect(parseVolumesFrom(spec)).toEqual(expected);
  });

  test.each([
    ['', 'volumes-from specification cannot be an empty string'],
    ['refc:shared', 'invalid mode: shared'],
    ['refc:ro,rslave', 'invalid mode: ro,rslave'],
    ['refc:nocopy', 'invalid mode: nocopy'],
    ['refc:ro:x', 'invalid mode: ro:x'],
    ['refc:bogus', 'invalid mode: bogus'],
  ])('refuses %j', (spec, message) => {
    expect(errorOf(() => parseVolumesFrom(spec)).message).toBe(message);
  });
});

describe('parseTmpfs', () => {
  test('destinations and options', () => {
    const points = parseTmpfs({ '/t/': 'size=1m,mode=700', '/u': '', '/r': 'ro,noexec' });
    expect(points.map((p) => [p.Type, p.Destination, p.RW, p.TmpfsOptions?.Data])).toEqual([
      ['tmpfs', '/t', true, 'size=1m,mode=700'],
      ['tmpfs', '/u', true, ''],
      ['tmpfs', '/r', false, 'ro,noexec'],
    ]);
  });

  test.each([
    [{ t: '' }, "invalid mount path: 't' mount path must be absolute"],
    [{ '/': '' }, "invalid specification: destination can't be '/'"],
    [{ '/a/..': '' }, "invalid specification: destination can't be '/'"],
  ])('refuses %j', (tmpfs, message) => {
    expect(errorOf(() => parseTmpfs(tmpfs)).message).toBe(message);
  });
});

describe('validateVolumeName', () => {
  test.each(['ab', 'a1', 'A.b', '0_-.x', 'x'.repeat(200)])('accepts %s', (name) => {
    expect(() => validateVolumeName(name)).not.toThrow();
  });

  test.each([
    ['a', 'volume name is too short, names should be at least two alphanumeric characters'],
    ['', '"" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    ['.ab', '".ab" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    ['a b', '"a b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    ['_a', '"_a" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    ['a:b', '"a:b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
  ])('refuses %j', (name, message) => {
    const err = errorOf(() => validateVolumeName(name));
    expect(err.message).toBe(message);
    expect(err.code).toBe('EINVAL');
  });
});

describe('duplicateCheck', () => {
  test('one destination twice across binds, mounts and tmpfs', () => {
    expect(() => duplicateCheck([parseBindSpec('/tmp:/x'), parseBindSpec('v2:/y')])).not.toThrow();
    const err = errorOf(() => duplicateCheck([parseBindSpec('/tmp:/x/'), parseMountSpec({ Type: 'bind', Source: '/tmp', Target: '/x' })]));
    expect(err.message).toBe('Duplicate mount point: /x');
    expect(err.code).toBe('EINVAL');
    expect(errorOf(() => duplicateCheck([...parseTmpfs({ '/t': '' }), parseBindSpec('/tmp:/t')])).message).toBe('Duplicate mount point: /t');
  });
});

describe('toMountSummary', () => {
  test('bind: no Name or Driver, fields in dockerd order', () => {
    const summary = toMountSummary(parseBindSpec('/tmp:/host:ro'));
    expect(JSON.stringify(summary)).toBe('{"Type":"bind","Source":"/tmp","Destination":"/host","Mode":"ro","RW":false,"Propagation":"rprivate"}');
  });

  test('volume: Source from the volume when given', () => {
    const point = parseBindSpec('named1:/named');
    expect(JSON.stringify(toMountSummary(point, '/var/lib/berth/volumes/named1/_data'))).toBe(
      '{"Type":"volume","Name":"named1","Source":"/var/lib/berth/volumes/named1/_data","Destination":"/named","Driver":"local","Mode":"z","RW":true,"Propagation":""}',
    );
    expect(toMountSummary(point).Source).toBe('');
  });

  test('tmpfs', () => {
    const [point] = parseTmpfs({ '/t': '' });
    expect(JSON.stringify(toMountSummary(point))).toBe('{"Type":"tmpfs","Source":"","Destination":"/t","Mode":"","RW":true,"Propagation":""}');
  });
});
