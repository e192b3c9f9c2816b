// The engine's event bus: what `GET /events` streams. Like dockerd it keeps
// the most recent events so that `since` can replay them.
import type { EngineEvent, StringMap } from '../container/types';

const HISTORY = 1024;

export type EventListener = (event: EngineEvent) => void;

/** Docker's event filters: type, event (action), container, image, volume, label. */
export type EventFilters = Record<string, string[]>;

export class EventBus {
  private readonly history: EngineEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  emit(type: EngineEvent['Type'], action: string, id: string, attributes: StringMap = {}): EngineEvent {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const event: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container') {
      // What pre-1.22 clients (and `docker events` templates) read.
      event.status = action;
      event.id = id;
      if (attributes.image !== undefined) event.from = attributes.image;
    }
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the others still hear the event.
      }
    }
    return event;
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Kept events with `since <= time(ns) <= until` (nanoseconds since the epoch), oldest first. */
  recent(sinceNs = 0, untilNs = Number.MAX_SAFE_INTEGER): EngineEvent[] {
    return this.history.filter((e) => e.timeNano >= sinceNs && e.timeNano <= untilNs);
  }
}

/** Whether `event` passes Docker's event filters (values OR within a key, keys AND). */
export function matchesEventFilters(event: EngineEvent, filters: EventFilters): boolean {
  const attrs = event.Actor.Attributes;
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    let ok: boolean;
    switch (key) {
      case 'type':
        ok = values.includes(event.Type);
        break;
      case 'event':
        ok = values.some((v) => v === event.Action || event.Action.startsWith(`${v}:`));
        break;
      case 'container':
        ok = event.Type === 'container' && values.some((v) => v === event.Actor.ID || v === attrs.name || (v.length >= 1 && event.Actor.ID.startsWith(v)));
        break;
      case 'image':
        ok = values.some((v) => (event.Type === 'image' && event.Actor.ID === v) || attrs.image === v || attrs.name === v);
        break;
      case 'volume':
        ok = event.Type === 'volume' && values.includes(event.Actor.ID);
        break;
      case 'label':
        ok = values.every((v) => {
          const eq = v.indexOf('=');
          return eq < 0 ? v in attrs : attrs[v.slice(0, eq)] === v.slice(eq + 1);
        });
        break;
      default:
        ok = true;
    }
    if (!ok) return false;
  }
  return true;
}
