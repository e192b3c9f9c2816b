// Times in queries (`/events?since=&until=`, image `until` filters): Docker's
// `seconds[.nanoseconds]` as the docker CLI sends them, or RFC 3339.
import { invalidParameter } from '../errors';

const SECONDS = /^(-?[0-9]+)(?:\.([0-9]{1,9}))?$/;
const DATE_TIME = /^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2})?)(?:\.([0-9]{1,9}))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$/i;

/** Nanoseconds since the epoch, or a 400 naming the parameter. */
export function parseTimestampNs(value: string, parameter: string): number {
  const s = SECONDS.exec(value);
  if (s !== null) {
    const fraction = (s[2] ?? '').padEnd(9, '0');
    const sign = s[1].startsWith('-') ? -1 : 1;
    return Number(s[1]) * 1e9 + sign * Number(fraction);
  }
  const d = DATE_TIME.exec(value);
  if (d !== null) {
    // Without a zone the time is local, as Docker's GetTimestamp reads it.
    const zone = d[4] === undefined ? '' : d[4].toUpperCase().replace(/^([+-][0-9]{2})([0-9]{2})$/, '$1:$2');
    const iso = `${d[1]}T${d[2] ?? '00:00:00'}${d[2]?.length === 5 ? ':00' : ''}${zone}`;
    const ms = Date.parse(iso);
    if (!Number.isNaN(ms)) return ms * 1e6 + Number((d[3] ?? '').padEnd(9, '0'));
  }
  throw invalidParameter(`invalid value for ${parameter}: ${JSON.stringify(value)} is neither seconds[.nanoseconds] since the epoch nor an RFC 3339 time`);
}
