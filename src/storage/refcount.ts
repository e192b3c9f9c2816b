// Mount reference counts of one driver, keyed by layer id.
export class RefCounter {
  private readonly counts = new Map<string, number>();

  get(id: string): number {
    return this.counts.get(id) ?? 0;
  }

  /** Returns the count after the increment: 1 means "mount now". */
  increment(id: string): number {
    const next = this.get(id) + 1;
    this.counts.set(id, next);
    return next;
  }

  /** Returns the count after the decrement: 0 means "unmount now". */
  decrement(id: string): number {
    const next = Math.max(0, this.get(id) - 1);
    if (next === 0) this.counts.delete(id);
    else this.counts.set(id, next);
    return next;
  }

  ids(): string[] {
    return [...this.counts.keys()];
  }

  clear(id: string): void {
    this.counts.delete(id);
  }
}
