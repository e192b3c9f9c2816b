// The docker CLI's number grammars and printing: byte sizes as flags take
// them (binary units: 512m, 1g), sizes as tables print them (decimal, three
// significant digits: 1.98MB), "2 hours ago" durations and --cpus decimals.

const BINARY_MULTIPLIERS: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/**
 * `512m`, `1g`, `1.5GiB`, `100`, `64 MB` → bytes, with 1024-based units as
 * `-m`, `--shm-size` and `tmpfs-size` read them.
 * @throws Error `invalid size: '<s>'` or `invalid suffix: '<sfx>'`.
 */
export function parseBytes(input: string): number {
  const split = /^([0-9.]*[0-9.])( ?)(.*)$/.exec(input);
  if (split === null || !/^\d+(\.\d+)?$|^\.\d+$|^\d+\.$/.test(split[1])) {
    throw new Error(`invalid size: '${input}'`);
  }
  const size = Number(split[1]);
  const suffix = split[3].toLowerCase();
  if (suffix === '') return Math.trunc(size);
  const badSuffix = new Error(`invalid suffix: '${suffix}'`);
  if (suffix.length > 3) throw badSuffix;
  if (suffix[0] === 'b') {
    if (suffix.length > 1) throw badSuffix;
    return Math.trunc(size);
  }
  const multiplier = BINARY_MULTIPLIERS[suffix[0]];
  if (multiplier === undefined) throw badSuffix;
  if ((suffix.length === 2 && suffix[1] !== 'b') || (suffix.length === 3 && suffix.slice(1) !== 'ib')) throw badSuffix;
  return Math.trunc(size * multiplier);
}

/** `--memory-swap`: `-1` means unlimited, anything else is a size. */
export function parseSwapBytes(input: string): number {
  return input === '-1' ? -1 : parseBytes(input);
}

/** Go's `%.<precision>g`: shortest of fixed and exponent forms, trailing zeros dropped. */
export function goFormatG(value: number, precision: number): string {
  const text = value.toPrecision(precision);
  const e = text.indexOf('e');
  const trimZeros = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (e < 0) return trimZeros(text);
  const mantissa = trimZeros(text.slice(0, e));
  const exponent = Number(text.slice(e + 1));
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Docker's table sizes: decimal units, three significant digits by default (`1.98MB`, `4.1kB`, `0B`). */
export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${goFormatG(size, precision)}${DECIMAL_UNITS[unit]}`;
}

/** Docker's coarse durations: "Less than a second", "About a minute", "2 hours", "3 weeks". */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(milliseconds / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(milliseconds / 3_600_000 / 24 / 365)} years`;
}

/** "2 hours ago" for a time in the past, seen from `now`. */
export function timeAgo(unixSeconds: number, now: number): string {
  return `${humanDuration(Math.max(0, now - unixSeconds * 1000))} ago`;
}

/**
 * `--cpus 1.5` → 1500000000 NanoCpus. Exact decimal arithmetic: the value must
 * be a whole number of nano-CPUs.
 */
export function parseNanoCpus(input: string): number {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(input);
  if (match === null || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new Error(`failed to parse ${input} as a rational number`);
  }
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  if (fraction.length > 9) throw new Error('value is too precise');
  const nanos = BigInt(match[2] || '0') * 1_000_000_000n + BigInt(fraction.padEnd(9, '0') || '0');
  const value = Number(nanos);
  return match[1] === '-' ? -value : value;
}

/** A whole number flag value (Go's strconv.ParseInt wording). */
export function parseInteger(input: string): number {
  if (!/^[+-]?\d+$/.test(input)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(input)}: invalid syntax`);
  const value = Number(input);
  if (!Number.isSafeInteger(value)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(input)}: value out of range`);
  return value;
}
