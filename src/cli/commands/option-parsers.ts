// Option-argument parsers for commander: repeated flags collect into lists,
// typed flags fail at parse time (exit 125, as docker's flag errors do).
import { InvalidArgumentError } from 'commander';
import { parseBytes, parseInteger, parseNanoCpus, parseSwapBytes } from '../units';

/** For flags given many times: `-e A=1 -e B=2`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function typed<T>(parse: (value: string) => T): (value: string) => T {
  return (value: string) => {
    try {
      return parse(value);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

export const bytesArg = typed(parseBytes);
export const swapBytesArg = typed(parseSwapBytes);
export const integerArg = typed(parseInteger);
export const nanoCpusArg = typed(parseNanoCpus);

/** `key=value` for `--filter`, which docker refuses without the `=`. */
export function filterArg(value: string, previous: Record<string, string[]> | undefined): Record<string, string[]> {
  const eq = value.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError('bad format of filter (expected name=value)');
  const key = value.slice(0, eq).trim().toLowerCase();
  const filters = { ...(previous ?? {}) };
  filters[key] = [...(filters[key] ?? []), value.slice(eq + 1).trim()];
  return filters;
}
