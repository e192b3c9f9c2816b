// Finding a container from what a user typed: a full ID, a name, or an
// unambiguous ID prefix, in Docker's order.
import { invalidParameter, notFound } from '../errors';
import type { NameRegistry } from './names';

/**
 * Container IDs kept sorted, so that the IDs sharing a prefix sit next to
 * each other: a prefix lookup is one binary search and a look at the
 * neighbour, whatever the number of containers.
 */
export class IdIndex {
  private readonly sorted: string[] = [];

  constructor(ids: Iterable<string> = []) {
    this.sorted.push(...new Set(ids));
    this.sorted.sort();
  }

  add(id: string): void {
    if (id === '') throw invalidParameter('a container ID cannot be empty');
    const at = this.lowerBound(id);
    if (this.sorted[at] !== id) this.sorted.splice(at, 0, id);
  }

  delete(id: string): boolean {
    const at = this.lowerBound(id);
    if (this.sorted[at] !== id) return false;
    this.sorted.splice(at, 1);
    return true;
  }

  has(id: string): boolean {
    return this.sorted[this.lowerBound(id)] === id;
  }

  get size(): number {
    return this.sorted.length;
  }

  /**
   * The one ID that starts with `prefix` (or equals it), undefined when none does.
   * @throws EngineError ENOENT `multiple IDs found with provided prefix: <prefix>`.
   */
  resolve(prefix: string): string | undefined {
    if (prefix === '') throw invalidParameter("Prefix can't be empty");
    const at = this.lowerBound(prefix);
    const first = this.sorted[at];
    if (first === undefined || !first.startsWith(prefix)) return undefined;
    if (first === prefix) return first;
    const next = this.sorted[at + 1];
    if (next !== undefined && next.startsWith(prefix)) {
      throw notFound(`multiple IDs found with provided prefix: ${prefix}`);
    }
    return first;
  }

  /** The first position whose ID is not below `key`. */
  private lowerBound(key: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.sorted[mid] < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/**
 * Resolves a container reference as the daemon does: an exact full ID first,
 * then an exact name (with or without its `/`), then a unique ID prefix. So a
 * container named like another's ID prefix is found by its name, and a full
 * ID always means that container.
 * @throws EngineError EINVAL for an empty reference, ENOENT `No such container: <ref>`
 *   or `multiple IDs found with provided prefix: <ref>`.
 */
export function resolveContainerId(ref: string, names: NameRegistry, ids: IdIndex): string {
  if (ref === '') throw invalidParameter('invalid name or ID supplied: ""');
  if (ids.has(ref)) return ref;
  const byName = names.get(ref);
  if (byName !== undefined) return byName;
  const byPrefix = ids.resolve(ref);
  if (byPrefix !== undefined) return byPrefix;
  throw notFound(`No such container: ${ref}`);
}
