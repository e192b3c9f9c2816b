// The part of Go's text/template that people pass to `--format`: fields
// (`.State.Status`), `$`, literals, pipelines, parentheses, docker's template
// functions (json, join, split, index, upper, lower, title, pad, truncate) and
// a few builtins (len, print, printf, println, eq, ne, lt, le, gt, ge, not,
// and, or), `if`/`else`/`range`/`with`/`end` and comments. Values print as Go
// prints them: slices `[a b]`, maps `map[k:v]` with sorted keys, a missing
// field `<no value>`. Anything else is refused with a clear error rather than
// printed wrong.

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * A value that prints as text but indexes and joins as data: docker's ps
 * context prints `.Labels` as `a=1,b=2`, and here `index .Labels "a"` still works.
 */
export class Shown {
  constructor(
    readonly text: string,
    readonly data: unknown,
  ) {}
  toJSON(): string {
    return this.text;
  }
}

/**
 * A JSON null where the Docker type is known: Go prints a nil slice `[]`, a
 * nil map `map[]` and a nil pointer `<nil>`, while `json` still gives `null`.
 */
class TypedNull {
  constructor(readonly kind: 'slice' | 'map' | 'pointer') {}
  toJSON(): null {
    return null;
  }
}

// Docker API fields that are maps, and those that are pointers; every other
// null field is a slice (Cmd, Env, Binds, Links, ...). Other objects whose
// keys are all capitalized are Go structs, printed `{v1 v2}` as docker
// prints its typed inspect data. (`Config` is a struct at the top of an
// inspect and a map in LogConfig.)
const MAP_FIELDS = new Set([
  'Labels', 'Volumes', 'ExposedPorts', 'PortBindings', 'Tmpfs', 'Sysctls', 'StorageOpt', 'Options', 'DriverOpts',
  'Annotations', 'Data', 'Config', 'Ports', 'Networks', 'EndpointsConfig', 'Status', 'Attributes',
]);
const POINTER_FIELDS = new Set([
  'MemorySwappiness', 'OomKillDisable', 'PidsLimit', 'Init', 'StopTimeout', 'Healthcheck', 'IPAMConfig',
  'BindOptions', 'VolumeOptions', 'TmpfsOptions', 'Health', 'Platform', 'UsageData',
]);

/**
 * Structs people print whole, with every field in Go's order and its zero
 * value, since the JSON may leave some out (`{{.State}}`, `{{.Mounts}}`).
 * `guard` tells a struct from another of the same field name
 * (HostConfig.Mounts holds mount specs, not mount points).
 */
const STRUCTS: Record<string, { guard?: string; fields: Array<[string, unknown]> }> = {
  State: {
    fields: [
      ['Status', ''], ['Running', false], ['Paused', false], ['Restarting', false], ['OOMKilled', false], ['Dead', false],
      ['Pid', 0], ['ExitCode', 0], ['Error', ''], ['StartedAt', ''], ['FinishedAt', ''], ['Health', null],
    ],
  },
  Mounts: {
    guard: 'Destination',
    fields: [['Type', ''], ['Name', ''], ['Source', ''], ['Destination', ''], ['Driver', ''], ['Mode', ''], ['RW', false], ['Propagation', '']],
  },
};

function structFields(value: Record<string, unknown>, field: string | undefined): Array<[string, unknown]> {
  const known = field !== undefined ? STRUCTS[field] : undefined;
  if (known !== undefined && (known.guard === undefined || known.guard in value)) {
    return known.fields.map(([k, zero]) => [k, k in value ? value[k] : zero]);
  }
  return Object.entries(value);
}

/** The field each object was read from, which decides how it prints. */
const fieldOfValue = new WeakMap<object, string>();

function remember<T>(value: T, field: string): T {
  if (typeof value === 'object' && value !== null) fieldOfValue.set(value, field);
  return value;
}

function printsAsStruct(value: Record<string, unknown>, field: string | undefined): boolean {
  const keys = Object.keys(value);
  const capitalized = keys.every((k) => /^[A-Z]/.test(k));
  if (field === 'Config') return keys.length > 0 && capitalized;
  if (field !== undefined && MAP_FIELDS.has(field)) return false;
  return capitalized;
}

function nullFor(field: string): TypedNull {
  return new TypedNull(MAP_FIELDS.has(field) ? 'map' : POINTER_FIELDS.has(field) ? 'pointer' : 'slice');
}

type Fn = (...args: unknown[]) => unknown;

// ---------------------------------------------------------------- printing

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Shown) && !(v instanceof TypedNull);

/** Go's `%v`; `field` is the name the value was read under, when it is not remembered. */
export function goString(value: unknown, field?: string): string {
  if (value === undefined) return '<no value>';
  if (value === null) return field === undefined ? '<nil>' : goString(nullFor(field));
  if (value instanceof Shown) return value.text;
  if (value instanceof TypedNull) return value.kind === 'slice' ? '[]' : value.kind === 'map' ? 'map[]' : '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  const name = field ?? fieldOfValue.get(value as object);
  // Elements print as the slice's field would print one of them.
  if (Array.isArray(value)) return `[${value.map((v) => goString(v, name)).join(' ')}]`;
  if (isRecord(value)) {
    if (printsAsStruct(value, name)) return `{${structFields(value, name).map(([k, v]) => goString(v, k)).join(' ')}}`;
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${goString(value[k], k)}`).join(' ')}]`;
  }
  return String(value);
}

/** The data behind a value: a Shown's data, a typed null's emptiness. */
function dataOf(value: unknown): unknown {
  if (value instanceof Shown) return value.data;
  if (value instanceof TypedNull) return null;
  return value;
}

function truthy(value: unknown): boolean {
  const v = value instanceof Shown ? value.text : dataOf(value);
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isRecord(v)) return Object.keys(v).length > 0;
  return true;
}

const toJson = (value: unknown): string => JSON.stringify(value === undefined ? null : value) ?? 'null';

// ---------------------------------------------------------------- functions

function asText(value: unknown, fn: string): string {
  const v = value instanceof Shown ? value.text : value;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TemplateError(`template: error calling ${fn}: wrong type for value; expected string; got ${typeName(value)}`);
}

function typeName(value: unknown): string {
  const v = dataOf(value);
  if (v === undefined || v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isRecord(v)) return 'map[string]interface {}';
  return typeof v === 'number' ? 'float64' : typeof v === 'boolean' ? 'bool' : 'string';
}

function compare(a: unknown, b: unknown, fn: string): number {
  const x = dataOf(a);
  const y = dataOf(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  throw new TemplateError(`template: error calling ${fn}: incompatible types for comparison`);
}

function sprintf(format: string, args: unknown[]): string {
  let next = 0;
  return format.replace(/%([-+ 0#]*\d*(?:\.\d+)?)([svdqtfx%])/g, (whole, _flags: string, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const arg = dataOf(args[next++]);
    switch (verb) {
      case 'q':
        return JSON.stringify(goString(arg));
      case 'd':
        return typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${goString(arg)})`;
      case 'f':
        return typeof arg === 'number' ? arg.toFixed(6) : `%!f(${goString(arg)})`;
      case 'x':
        return typeof arg === 'number' ? arg.toString(16) : Buffer.from(goString(arg)).toString('hex');
      default:
        return goString(args[next - 1]);
    }
  });
}

/** Go's fmt.Sprint: a space between operands only when neither is a string. */
function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof dataOf(arg) !== 'string' && typeof dataOf(args[i - 1]) !== 'string') out += ' ';
    out += goString(arg);
  });
  return out;
}

function indexInto(collection: unknown, keys: unknown[]): unknown {
  let current = collection;
  for (const key of keys) {
    const data = dataOf(current);
    const k = dataOf(key);
    if (Array.isArray(data)) {
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new TemplateError('template: error calling index: cannot index slice/array with a non-integer');
      if (k < 0 || k >= data.length) throw new TemplateError(`template: error calling index: index out of range: ${k}`);
      current = data[k];
    } else if (isRecord(data)) {
      current = Object.prototype.hasOwnProperty.call(data, String(k)) ? remember(data[String(k)], String(k)) : undefined;
    } else if (data === null || data === undefined) {
      current = undefined;
    } else {
      throw new TemplateError(`template: error calling index: can't index item of type ${typeName(current)}`);
    }
  }
  return current;
}

const FUNCTIONS: Record<string, Fn> = {
  json: (v) => toJson(v),
  join: (list, sep) => {
    const data = dataOf(list);
    if (typeof data === 'string') return data;
    if (!Array.isArray(data)) throw new TemplateError(`template: error calling join: wrong type for value; expected []string; got ${typeName(list)}`);
    return data.map((v) => goString(v)).join(asText(sep, 'join'));
  },
  split: (s, sep) => asText(s, 'split').split(asText(sep, 'split')),
  upper: (s) => asText(s, 'upper').toUpperCase(),
  lower: (s) => asText(s, 'lower').toLowerCase(),
  title: (s) => asText(s, 'title').replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, before: string, letter: string) => before + letter.toUpperCase()),
  pad: (s, before, after) => {
    const b = dataOf(before);
    const a = dataOf(after);
    if (typeof b !== 'number' || typeof a !== 'number') throw new TemplateError('template: error calling pad: pad widths must be numbers');
    return ' '.repeat(Math.max(0, b)) + asText(s, 'pad') + ' '.repeat(Math.max(0, a));
  },
  truncate: (s, n) => {
    const len = dataOf(n);
    if (typeof len !== 'number') throw new TemplateError('template: error calling truncate: length must be a number');
    const chars = [...asText(s, 'truncate')];
    return chars.length > len ? chars.slice(0, len).join('') : chars.join('');
  },
  index: (collection, ...keys) => indexInto(collection, keys),
  len: (v) => {
    const data = v instanceof Shown ? v.data : dataOf(v);
    if (typeof data === 'string') return [...data].length;
    if (Array.isArray(data)) return data.length;
    if (isRecord(data)) return Object.keys(data).length;
    if (data === null) return 0;
    throw new TemplateError(`template: error calling len: len of type ${typeName(v)}`);
  },
  print: (...args) => sprint(args),
  println: (...args) => `${args.map((v) => goString(v)).join(' ')}\n`,
  printf: (format, ...args) => sprintf(asText(format, 'printf'), args),
  eq: (a, ...bs) => bs.some((b) => dataOf(a) === dataOf(b) || (a instanceof Shown && a.text === dataOf(b))),
  ne: (a, b) => dataOf(a) !== dataOf(b),
  lt: (a, b) => compare(a, b, 'lt') < 0,
  le: (a, b) => compare(a, b, 'le') <= 0,
  gt: (a, b) => compare(a, b, 'gt') > 0,
  ge: (a, b) => compare(a, b, 'ge') >= 0,
  not: (v) => !truthy(v),
  and: (...args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
};

// ---------------------------------------------------------------- syntax

type Operand =
  | { kind: 'field'; root: 'dot' | 'var'; variable?: string; path: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'function'; name: string }
  | { kind: 'pipe'; pipe: Pipeline; path: string[] };

interface Command {
  operands: Operand[];
}

interface Pipeline {
  commands: Command[];
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; body: Node[]; otherwise: Node[] }
  | { kind: 'range'; pipe: Pipeline; variables: string[]; body: Node[]; otherwise: Node[] };

type Token =
  | { t: 'field'; path: string[] }
  | { t: 'var'; name: string; path: string[] }
  | { t: 'string'; value: string }
  | { t: 'number'; value: number }
  | { t: 'ident'; name: string }
  | { t: 'punct'; value: '|' | '(' | ')' | ':=' | ',' }
  | { t: 'fieldAfter'; path: string[] };

const parseError = (what: string): TemplateError => new TemplateError(`template parsing error: ${what}`);

function tokenize(action: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fieldPath = (): string[] => {
    const path: string[] = [];
    while (action[i] === '.') {
      const m = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(action.slice(i));
      if (m === null) break;
      path.push(m[1]);
      i += m[0].length;
    }
    return path;
  };
  while (i < action.length) {
    const c = action[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '.') {
      const path = fieldPath();
      if (path.length === 0) {
        i++;
        if (i < action.length && /[A-Za-z0-9_]/.test(action[i])) throw parseError(`bad character in field name near "${action.slice(i - 1)}"`);
      }
      tokens.push({ t: 'field', path });
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?/.exec(action.slice(i));
      i += m ? m[0].length : 1;
      tokens.push({ t: 'var', name: m?.[1] ?? '', path: fieldPath() });
    } else if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(action.slice(i));
      if (m === null) throw parseError('unterminated quoted string');
      let value: string;
      try {
        value = JSON.parse(m[0]) as string;
      } catch {
        throw parseError(`bad quoted string ${m[0]}`);
      }
      tokens.push({ t: 'string', value });
      i += m[0].length;
    } else if (c === '`') {
      const end = action.indexOf('`', i + 1);
      if (end < 0) throw parseError('unterminated raw quoted string');
      tokens.push({ t: 'string', value: action.slice(i + 1, end) });
      i = end + 1;
    } else if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?\d+(\.\d+)?/.exec(action.slice(i));
      if (m === null) throw parseError(`bad number syntax near "${action.slice(i)}"`);
      tokens.push({ t: 'number', value: Number(m[0]) });
      i += m[0].length;
    } else if (c === '|' || c === '(' || c === ',') {
      tokens.push({ t: 'punct', value: c });
      i++;
    } else if (c === ')') {
      tokens.push({ t: 'punct', value: ')' });
      i++;
      const path = fieldPath();
      if (path.length > 0) tokens.push({ t: 'fieldAfter', path });
    } else if (c === ':' && action[i + 1] === '=') {
      tokens.push({ t: 'punct', value: ':=' });
      i += 2;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(action.slice(i)) as RegExpExecArray;
      tokens.push({ t: 'ident', name: m[0] });
      i += m[0].length;
    } else {
      throw parseError(`unexpected "${c}" in command`);
    }
  }
  return tokens;
}

class PipelineParser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  get done(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  next(): Token | undefined {
    return this.tokens[this.pos++];
  }

  pipeline(endAtParen = false): Pipeline {
    const commands: Command[] = [];
    let operands: Operand[] = [];
    for (;;) {
      const token = this.peek();
      if (token === undefined || (endAtParen && token.t === 'punct' && token.value === ')')) break;
      this.pos++;
      if (token.t === 'punct' && token.value === '|') {
        if (operands.length === 0) throw parseError('missing value for command');
        commands.push({ operands });
        operands = [];
        continue;
      }
      operands.push(this.operand(token));
    }
    if (operands.length === 0) throw parseError(commands.length === 0 ? 'missing value for command' : 'missing command after "|"');
    commands.push({ operands });
    return { commands };
  }

  private operand(token: Token): Operand {
    switch (token.t) {
      case 'field':
        return { kind: 'field', root: 'dot', path: token.path };
      case 'var':
        return { kind: 'field', root: 'var', variable: token.name, path: token.path };
      case 'string':
      case 'number':
        return { kind: 'literal', value: token.value };
      case 'ident':
        if (token.name === 'true' || token.name === 'false') return { kind: 'literal', value: token.name === 'true' };
        if (token.name === 'nil') return { kind: 'literal', value: null };
        if (!(token.name in FUNCTIONS)) {
          if (['define', 'template', 'block', 'break', 'continue'].includes(token.name)) {
            throw parseError(`"${token.name}" is not supported by berth's --format (fields, functions, if, range and with are)`);
          }
          throw parseError(`function "${token.name}" not defined`);
        }
        return { kind: 'function', name: token.name };
      case 'punct':
        if (token.value === '(') {
          const pipe = this.pipeline(true);
          const close = this.next();
          if (close?.t !== 'punct' || close.value !== ')') throw parseError('unclosed left paren');
          const after = this.peek();
          let path: string[] = [];
          if (after?.t === 'fieldAfter') {
            this.pos++;
            path = after.path;
          }
          return { kind: 'pipe', pipe, path };
        }
        throw parseError(`unexpected "${token.value}" in operand`);
      default:
        throw parseError('unexpected token');
    }
  }
}

function parsePipeline(tokens: Token[]): Pipeline {
  const parser = new PipelineParser(tokens);
  const pipe = parser.pipeline();
  if (!parser.done) throw parseError('unexpected ")" in command');
  return pipe;
}

interface RawAction {
  kind: 'text' | 'action';
  text: string;
}

function splitActions(source: string): RawAction[] {
  const parts: RawAction[] = [];
  let i = 0;
  let trimNext = false;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    let text = source.slice(i, open < 0 ? source.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) parts.push({ kind: 'text', text });
      break;
    }
    let start = open + 2;
    if (/^-\s/.test(source.slice(start))) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) parts.push({ kind: 'text', text });
    // The action ends at the first "}}" outside a quoted string.
    let j = start;
    let quote: string | null = null;
    while (j < source.length) {
      const c = source[j];
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === '`') {
        quote = c;
      } else if (source.startsWith('}}', j)) {
        break;
      }
      j++;
    }
    if (j >= source.length) throw parseError('unclosed action');
    let inner = source.slice(start, j);
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      trimNext = true;
    }
    parts.push({ kind: 'action', text: inner.trim() });
    i = j + 2;
  }
  return parts;
}

function parseNodes(source: string): Node[] {
  const raw = splitActions(source);
  let pos = 0;

  // Reads nodes until {{end}} or {{else}}, returning which one stopped it.
  const block = (inside: string | null): { nodes: Node[]; stop: 'end' | 'else' | 'eof'; elseText?: string } => {
    const nodes: Node[] = [];
    while (pos < raw.length) {
      const part = raw[pos++];
      if (part.kind === 'text') {
        nodes.push({ kind: 'text', text: part.text });
        continue;
      }
      const text = part.text;
      if (text.startsWith('/*')) {
        if (!text.endsWith('*/')) throw parseError('unclosed comment');
        continue;
      }
      const keyword = /^([a-z]+)\b/.exec(text)?.[1];
      if (keyword === 'end') {
        if (inside === null) throw parseError('unexpected {{end}}');
        return { nodes, stop: 'end' };
      }
      if (keyword === 'else') {
        if (inside === null) throw parseError('unexpected {{else}}');
        return { nodes, stop: 'else', elseText: text.slice(4).trim() };
      }
      if (keyword === 'if' || keyword === 'with' || keyword === 'range') {
        nodes.push(control(keyword, text.slice(keyword.length)));
        continue;
      }
      nodes.push({ kind: 'action', pipe: parsePipeline(tokenize(text)) });
    }
    if (inside !== null) throw parseError(`unexpected EOF: {{${inside}}} has no {{end}}`);
    return { nodes, stop: 'eof' };
  };

  const control = (keyword: 'if' | 'with' | 'range', rest: string): Node => {
    let tokens = tokenize(rest);
    const variables: string[] = [];
    const assign = tokens.findIndex((t) => t.t === 'punct' && t.value === ':=');
    if (assign >= 0) {
      if (keyword !== 'range') throw parseError(`variables in {{${keyword}}} are not supported by berth's --format`);
      for (const t of tokens.slice(0, assign)) {
        if (t.t === 'var' && t.path.length === 0) variables.push(t.name);
        else if (!(t.t === 'punct' && t.value === ',')) throw parseError('bad range variable declaration');
      }
      if (variables.length === 0 || variables.length > 2) throw parseError('too many declarations in range');
      tokens = tokens.slice(assign + 1);
    }
    const pipe = parsePipeline(tokens);
    const body = block(keyword);
    let otherwise: Node[] = [];
    if (body.stop === 'else') {
      if (body.elseText && /^if\b/.test(body.elseText)) {
        // {{else if x}} is an if nested in the else branch that shares the {{end}}.
        otherwise = [control('if', body.elseText.slice(2))];
      } else if (body.elseText) {
        throw parseError(`unexpected "${body.elseText}" after {{else}}`);
      } else {
        const tail = block(keyword);
        if (tail.stop !== 'end') throw parseError(`expected {{end}} after {{else}} in {{${keyword}}}`);
        otherwise = tail.nodes;
      }
    }
    if (keyword === 'range') return { kind: 'range', pipe, variables, body: body.nodes, otherwise };
    return { kind: keyword, pipe, body: body.nodes, otherwise };
  };

  const top = block(null);
  return top.nodes;
}

// ---------------------------------------------------------------- execution

interface Scope {
  dot: unknown;
  root: unknown;
  variables: Map<string, unknown>;
}

function field(value: unknown, name: string, args: unknown[], isLast: boolean): unknown {
  const data = value instanceof Shown ? value.data : value;
  if (data === undefined || data === null || data instanceof TypedNull) return undefined;
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new TemplateError(`template: can't evaluate field ${name} in type ${typeName(value)}`);
  }
  const target = (data as Record<string, unknown>)[name];
  if (typeof target === 'function') {
    return (target as Fn).apply(data, isLast ? args : []);
  }
  if (isLast && args.length > 0) throw new TemplateError(`template: ${name} is not a method but has arguments`);
  if (!(name in data)) return undefined;
  return target === null ? nullFor(name) : remember(target, name);
}

function operandValue(operand: Operand, scope: Scope, args: unknown[] = []): unknown {
  switch (operand.kind) {
    case 'literal':
      return operand.value;
    case 'function':
      return FUNCTIONS[operand.name](...args);
    case 'pipe':
      return walk(runPipeline(operand.pipe, scope), operand.path, args);
    case 'field': {
      let base: unknown;
      if (operand.root === 'dot') base = scope.dot;
      else if (operand.variable === '') base = scope.root;
      else if (scope.variables.has(operand.variable ?? '')) base = scope.variables.get(operand.variable ?? '');
      else throw new TemplateError(`template: undefined variable "$${operand.variable}"`);
      return walk(base, operand.path, args);
    }
  }
}

function walk(base: unknown, path: string[], args: unknown[]): unknown {
  let value = base;
  path.forEach((name, i) => {
    value = field(value, name, args, i === path.length - 1);
  });
  if (path.length === 0 && args.length > 0) throw new TemplateError("template: can't give argument to non-function");
  return value;
}

function runPipeline(pipe: Pipeline, scope: Scope): unknown {
  let piped: unknown;
  let first = true;
  for (const command of pipe.commands) {
    const [head, ...rest] = command.operands;
    const args = rest.map((o) => operandValue(o, scope));
    if (!first) args.push(piped);
    if (head.kind === 'function' || head.kind === 'field' || head.kind === 'pipe') {
      piped = operandValue(head, scope, args);
    } else {
      if (args.length > 0) throw new TemplateError("template: can't give argument to non-function");
      piped = head.value;
    }
    first = false;
  }
  return piped;
}

function execute(nodes: Node[], scope: Scope, out: string[]): void {
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out.push(node.text);
        break;
      case 'action':
        // A top-level action that only declares nothing prints its value.
        out.push(goString(runPipeline(node.pipe, scope)));
        break;
      case 'if': {
        const v = runPipeline(node.pipe, scope);
        execute(truthy(v) ? node.body : node.otherwise, scope, out);
        break;
      }
      case 'with': {
        const v = runPipeline(node.pipe, scope);
        if (truthy(v)) execute(node.body, { ...scope, dot: v }, out);
        else execute(node.otherwise, scope, out);
        break;
      }
      case 'range': {
        const v = runPipeline(node.pipe, scope);
        const data = dataOf(v);
        let entries: Array<[unknown, unknown]>;
        if (Array.isArray(data)) entries = data.map((item, i) => [i, item]);
        else if (isRecord(data)) entries = Object.keys(data).sort().map((k) => [k, data[k]]);
        else if (data === null || data === undefined) entries = [];
        else if (typeof data === 'number' && Number.isInteger(data)) entries = Array.from({ length: Math.max(0, data) }, (_, i) => [i, i]);
        else throw new TemplateError(`template: range can't iterate over ${goString(v)}`);
        if (entries.length === 0) {
          execute(node.otherwise, scope, out);
          break;
        }
        for (const [key, item] of entries) {
          const variables = new Map(scope.variables);
          if (node.variables.length === 1) variables.set(node.variables[0], item);
          if (node.variables.length === 2) {
            variables.set(node.variables[0], key);
            variables.set(node.variables[1], item);
          }
          execute(node.body, { dot: item, root: scope.root, variables }, out);
        }
        break;
      }
    }
  }
}

export interface Template {
  render(data: unknown): string;
}

/**
 * Parses a `--format` template.
 * @throws TemplateError `template parsing error: ...` for what it cannot read.
 */
export function compileTemplate(source: string): Template {
  const nodes = parseNodes(source);
  return {
    render(data: unknown): string {
      const out: string[] = [];
      execute(nodes, { dot: data, root: data, variables: new Map() }, out);
      return out.join('');
    },
  };
}

/** What `--format` asks for: docker's `table`, `json` and template forms. */
export type FormatRequest =
  | { kind: 'default' }
  | { kind: 'json' }
  | { kind: 'table'; template: string }
  | { kind: 'template'; template: string };

/** Reads a `--format` value; `\t` and `\n` written as two characters become tab and newline, as docker does. */
export function parseFormatOption(format: string | undefined): FormatRequest {
  if (format === undefined || format === '') return { kind: 'default' };
  const unescaped = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  if (format.trim() === 'json') return { kind: 'json' };
  if (format === 'table') return { kind: 'default' };
  if (unescaped.startsWith('table ')) return { kind: 'table', template: unescaped.slice('table '.length).trim() };
  return { kind: 'template', template: unescaped };
}

/** Reads a `--format` value and parses its template, so that a bad one fails before any work. */
export function checkFormat(format: string | undefined): FormatRequest {
  const request = parseFormatOption(format);
  if (request.kind === 'template' || request.kind === 'table') compileTemplate(request.template);
  return request;
}

/** JSON as Go's encoder writes it: `<`, `>`, `&` and U+2028/9 escaped inside strings. */
export function goJson(value: unknown, indent?: string): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
