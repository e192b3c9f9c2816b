// Which layer already holds the diff that a populate batch produces over a
// given parent. The same ops over the same read-only view always give the
// same diff, so the second container of an image copies the first one's init
// diff instead of mounting the image's layers again: create cost stops
// depending on the image's depth. Any layer that may change (it is mounted)
// or vanish (it is removed) is forgotten, as a parent and as a source.
import { createHash } from 'node:crypto';
import type { BatchOp } from '../native';

export class PopulateCache {
  private readonly byParent = new Map<string, Map<string, string>>();
  private readonly keyOfSource = new Map<string, { parent: string; hash: string }>();

  static hash(ops: BatchOp[]): string {
    return createHash('sha256').update(JSON.stringify(ops)).digest('hex');
  }

  find(parent: string, hash: string): string | undefined {
    return this.byParent.get(parent)?.get(hash);
  }

  remember(parent: string, hash: string, source: string): void {
    let byHash = this.byParent.get(parent);
    if (!byHash) this.byParent.set(parent, (byHash = new Map()));
    if (byHash.has(hash)) return;
    byHash.set(hash, source);
    this.keyOfSource.set(source, { parent, hash });
  }

  forget(id: string): void {
    const asParent = this.byParent.get(id);
    if (asParent) {
      for (const source of asParent.values()) this.keyOfSource.delete(source);
      this.byParent.delete(id);
    }
    const key = this.keyOfSource.get(id);
    if (key) {
      this.keyOfSource.delete(id);
      const byHash = this.byParent.get(key.parent);
      byHash?.delete(key.hash);
      if (byHash?.size === 0) this.byParent.delete(key.parent);
    }
  }
}
