// `--since`/`--until` as the docker CLI reads them (a Go duration back from
// now, a unix time, or an RFC 3339-like date, local when it names no zone)
// and sends them (`seconds[.nanoseconds]`), and the time column of `events`.

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration (`1h30m`, `90s`, `1.5h`) in milliseconds, or undefined when `value` is not one. */
export function parseGoDuration(value: string): number | undefined {
  const m = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(value);
  if (m === null) return value === '0' ? 0 : undefined;
  let total = 0;
  for (const part of m[2].matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * DURATION_UNITS[part[2]];
  }
  return m[1] === '-' ? -total : total;
}

/**
 * A `--since`/`--until` value as the API takes it, `now` in milliseconds.
 * @throws Error `failed to parse value as time or duration: "<v>"`.
 */
export function toApiTimestamp(value: string, now: number): string {
  const duration = parseGoDuration(value);
  if (value !== '0' && duration !== undefined) return String(Math.floor((now - duration) / 1000));
  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  if (value.includes('-')) {
    const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2})(?::(\d{2}))?(?::(\d{2}))?(\.\d{1,9})?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
    if (m !== null) {
      const [, date, hh = '00', mm = '00', ss = '00', fraction = '', zone] = m;
      const ms = Date.parse(`${date}T${hh}:${mm}:${ss}${zone ? zone.toUpperCase() : ''}`);
      if (!Number.isNaN(ms)) {
        const nanos = fraction === '' ? 0 : Number(fraction.slice(1).padEnd(9, '0'));
        return `${Math.floor(ms / 1000)}.${String(nanos).padStart(9, '0')}`;
      }
    }
    throw new Error(`parsing time ${JSON.stringify(value)}: not an RFC 3339 time`);
  }
  throw new Error(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
}

/** `seconds[.nanoseconds]` → nanoseconds since the epoch. */
export function apiTimestampToNs(value: string): number {
  const [seconds, fraction = ''] = value.split('.');
  return Number(seconds) * 1e9 + Number(fraction.padEnd(9, '0').slice(0, 9));
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2006-01-02T15:04:05.000000000Z07:00` in local time, as `docker events` prints event times. */
export function formatEventTime(timeNano: number): string {
  // The decimal digits the daemon sent, not the nearest double: timeNano is past 2^53.
  const digits = String(Math.trunc(timeNano)).padStart(10, '0');
  const seconds = Number(digits.slice(0, -9));
  const d = new Date(seconds * 1000);
  const nanos = Number(digits.slice(-9));
  const offset = -d.getTimezoneOffset();
  const zone = offset === 0 ? 'Z' : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(nanos, 9)}${zone}`;
}

/** Go's `time.Time.String()` without the monotonic part: `2006-01-02 15:04:05 -0700 MST`. */
export function formatGoTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offset = -d.getTimezoneOffset();
  const numeric = `${offset >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  let name = offset === 0 ? 'UTC' : numeric;
  if (offset !== 0) {
    const short = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value;
    if (short !== undefined && /^[A-Z]{2,5}$/.test(short)) name = short;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${numeric} ${name}`;
}
