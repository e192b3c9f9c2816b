// `-e`, `--env-file`, `-l` and `--label-file` as the docker CLI reads them:
// files first, flags after (so a flag wins), `NAME` alone takes its value
// from the client's environment.

export type Environment = Record<string, string | undefined>;

/** `-e NAME=v` stays; `-e NAME` becomes `NAME=<client's value>`, or stays bare when unset. */
export function expandEnvFlag(value: string, env: Environment): string {
  const eq = value.indexOf('=');
  const name = eq < 0 ? value : value.slice(0, eq);
  if (name === '') throw new Error(`invalid environment variable: ${value}`);
  if (eq >= 0) return value;
  const fromClient = env[name];
  return fromClient === undefined ? value : `${name}=${fromClient}`;
}

const WHITESPACE = /[ \t\n\v\f\r]/;

/**
 * The lines of an env or label file: blank lines and `#` comments skipped,
 * leading whitespace dropped, values passed through untrimmed. A bare name
 * takes `lookup(name)` when that gives a value and is dropped otherwise.
 */
export function parseKeyValueFile(content: string, lookup?: (name: string) => string | undefined): string[] {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const out: string[] = [];
  text.split(/\r?\n/).forEach((rawLine) => {
    const line = rawLine.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const variable = (eq < 0 ? line : line.slice(0, eq)).replace(/^[ \t\n\v\f\r]+/, '');
    if (WHITESPACE.test(variable)) throw new Error(`poorly formatted environment: variable '${variable}' contains whitespaces`);
    if (variable === '') throw new Error(`poorly formatted environment: no variable name on line '${line}'`);
    if (eq >= 0) {
      out.push(`${variable}=${line.slice(eq + 1)}`);
      return;
    }
    const value = lookup?.(variable);
    if (value !== undefined) out.push(`${variable.trim()}=${value}`);
  });
  return out;
}

/**
 * Config.Env from `--env-file` contents (in order) and then `-e` values. The
 * docker client keeps one `-e` per name (the last given); so does berth, in
 * the order the names first appeared.
 */
export function buildEnv(envFiles: string[], envFlags: string[], env: Environment): string[] {
  const fromFiles = envFiles.flatMap((content) => parseKeyValueFile(content, (name) => env[name]));
  const byName = new Map<string, string>();
  for (const value of envFlags.map((v) => expandEnvFlag(v, env))) {
    const eq = value.indexOf('=');
    byName.set(eq < 0 ? value : value.slice(0, eq), value);
  }
  return [...fromFiles, ...byName.values()];
}

/** `-l` values must name a key. */
export function validateLabel(value: string): string {
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  if (key.trim() === '') throw new Error(`invalid label '${value}': empty name`);
  return value;
}

/** Config.Labels from `--label-file` contents and then `-l` values; `k` alone is `k=""`. */
export function buildLabels(labelFiles: string[], labelFlags: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of [...labelFiles.flatMap((c) => parseKeyValueFile(c)), ...labelFlags.map(validateLabel)]) {
    const eq = entry.indexOf('=');
    if (eq < 0) labels[entry] = '';
    else labels[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return labels;
}
