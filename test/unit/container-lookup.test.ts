// The short-ID index and container lookup in Docker's order: full ID, then
// name, then unique ID prefix.
import { EngineError, classifyError } from '../../src/errors';
import { IdIndex, resolveContainerId } from '../../src/container/lookup';
import { NameRegistry, generateContainerId } from '../../src/container/names';

function thrown(action: () => unknown): EngineError {
  try {
    action();
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error('expected an EngineError, nothing was thrown');
}

const pad = (prefix: string): string => (prefix + '0'.repeat(64)).slice(0, 64);

describe('IdIndex', () => {
  const A = pad('abc1');
  const B = pad('abc2');
  const C = pad('def');

  it('adds, finds, and deletes IDs', () => {
    const ids = new IdIndex();
    ids.add(A);
    ids.add(B);
    ids.add(A);
    expect(ids.size).toBe(2);
    expect(ids.has(A)).toBe(true);
    expect(ids.has(C)).toBe(false);
    expect(ids.delete(A)).toBe(true);
    expect(ids.delete(A)).toBe(false);
    expect(ids.has(A)).toBe(false);
    expect(ids.size).toBe(1);
  });

  it('refuses an empty ID', () => {
    expect(thrown(() => new IdIndex().add('')).code).toBe('EINVAL');
  });

  it('resolves a unique prefix, a full ID, and nothing for an unknown prefix', () => {
    const ids = new IdIndex([A, B, C]);
    expect(ids.resolve('d')).toBe(C);
    expect(ids.resolve('abc1')).toBe(A);
    expect(ids.resolve(B)).toBe(B);
    expect(ids.resolve('abd')).toBeUndefined();
    expect(ids.resolve('0')).toBeUndefined();
    expect(ids.resolve('f')).toBeUndefined();
    expect(ids.resolve(`${C}0`)).toBeUndefined();
  });

  it('refuses an ambiguous prefix with Docker\'s text', () => {
    const ids = new IdIndex([A, B, C]);
    const err = thrown(() => ids.resolve('abc'));
    expect(err.message).toBe('multiple IDs found with provided prefix: abc');
    expect(classifyError(err)).toBe('notFound');
  });

  it('refuses an empty prefix', () => {
    expect(thrown(() => new IdIndex([A]).resolve('')).code).toBe('EINVAL');
  });

  it('stops being ambiguous once the other ID is deleted', () => {
    const ids = new IdIndex([A, B]);
    ids.delete(B);
    expect(ids.resolve('abc')).toBe(A);
  });

  describe('with 10,000 IDs', () => {
    const all = Array.from({ length: 10_000 }, () => generateContainerId());
    // A family sharing a long prefix, as IDs never do by chance.
    const family = ['', '1', '2', 'f'].map((tail) => pad(`cafe${tail}`));
    const ids = new IdIndex();
    for (const id of [...all, ...family]) ids.add(id);

    const everything = [...all, ...family];
    const bruteForce = (prefix: string): string[] => everything.filter((id) => id.startsWith(prefix));

    it('holds them all', () => {
      expect(ids.size).toBe(everything.length);
      expect(all.filter((id) => !ids.has(id))).toEqual([]);
    });

    it('resolves every 12-character short ID to its container', () => {
      const shortIdCount = new Map<string, number>();
      for (const id of all) shortIdCount.set(id.slice(0, 12), (shortIdCount.get(id.slice(0, 12)) ?? 0) + 1);
      const unique = all.filter((id) => shortIdCount.get(id.slice(0, 12)) === 1);
      expect(unique.length).toBeGreaterThan(all.length - 10);
      expect(unique.filter((id) => ids.resolve(id.slice(0, 12)) !== id)).toEqual([]);
    });

    it('agrees with a linear scan on short prefixes', () => {
      const prefixes = [...'0123456789abcdef'].flatMap((a) => [...'0123456789abcdef'].map((b) => a + b));
      for (const id of all.slice(0, 300)) prefixes.push(id.slice(0, 3), id.slice(0, 4), id.slice(0, 5));
      prefixes.push(`${all[0]}0`, 'cafe0001', 'cafe', 'cafe1');
      const outcome = (prefix: string): string => {
        try {
          return ids.resolve(prefix) ?? 'none';
        } catch (err) {
          return (err as Error).message;
        }
      };
      const expected = (prefix: string): string => {
        const matches = bruteForce(prefix);
        if (matches.length > 1) return `multiple IDs found with provided prefix: ${prefix}`;
        return matches[0] ?? 'none';
      };
      const disagreements = prefixes.filter((prefix) => outcome(prefix) !== expected(prefix));
      expect(disagreements).toEqual([]);
      // The sample must exercise every branch, or the comparison proves little.
      const kindOf = (e: string): string => (e.startsWith('multiple') ? 'many' : e === 'none' ? 'none' : 'one');
      const kinds = new Set(prefixes.map((p) => kindOf(expected(p))));
      expect([...kinds].sort()).toEqual(['many', 'none', 'one']);
    });

    it('tells apart IDs that share a long prefix', () => {
      expect(() => ids.resolve('cafe')).toThrow('multiple IDs found with provided prefix: cafe');
      expect(ids.resolve('cafe1')).toBe(pad('cafe1'));
      expect(ids.resolve('cafef')).toBe(pad('cafef'));
      expect(ids.resolve('cafe0')).toBe(pad('cafe'));
      expect(ids.resolve(pad('cafe'))).toBe(pad('cafe'));
    });

    it('keeps answering right after half of them are deleted', () => {
      const index = new IdIndex(all);
      const kept = all.filter((_, i) => i % 2 === 0);
      for (const id of all.filter((_, i) => i % 2 === 1)) index.delete(id);
      expect(index.size).toBe(kept.length);
      expect(kept.filter((id) => index.resolve(id.slice(0, 16)) !== id)).toEqual([]);
      expect(all.filter((id, i) => i % 2 === 1 && index.has(id))).toEqual([]);
    });
  });
});

describe('resolveContainerId', () => {
  const WEB = pad('1a2b3c');
  const DB = pad('1a2b9f');
  const CACHE = pad('77');

  function world(): { names: NameRegistry; ids: IdIndex } {
    const names = new NameRegistry();
    const ids = new IdIndex([WEB, DB, CACHE]);
    names.reserve('/web', WEB);
    names.reserve('/db', DB);
    names.reserve('/cache', CACHE);
    return { names, ids };
  }

  it('finds a container by full ID, by name with or without /, and by unique prefix', () => {
    const { names, ids } = world();
    expect(resolveContainerId(WEB, names, ids)).toBe(WEB);
    expect(resolveContainerId('db', names, ids)).toBe(DB);
    expect(resolveContainerId('/db', names, ids)).toBe(DB);
    expect(resolveContainerId('1a2b3', names, ids)).toBe(WEB);
    expect(resolveContainerId('7', names, ids)).toBe(CACHE);
  });

  it('prefers a name over another container\'s ID prefix', () => {
    const { names, ids } = world();
    // "1a2b3c" is WEB's ID prefix and CACHE's name: Docker picks the name.
    names.reserve('/1a2b3c', CACHE);
    expect(resolveContainerId('1a2b3c', names, ids)).toBe(CACHE);
    expect(resolveContainerId('1a2b3', names, ids)).toBe(WEB);
  });

  it('prefers a full ID over a name equal to it', () => {
    const { names, ids } = world();
    names.reserve(`/${WEB}`, CACHE);
    expect(resolveContainerId(WEB, names, ids)).toBe(WEB);
    expect(resolveContainerId(`/${WEB}`, names, ids)).toBe(CACHE);
  });

  it('prefers a name over an ambiguous prefix', () => {
    const { names, ids } = world();
    names.reserve('/1a2b', CACHE);
    expect(resolveContainerId('1a2b', names, ids)).toBe(CACHE);
  });

  it('refuses an ambiguous prefix', () => {
    const { names, ids } = world();
    const err = thrown(() => resolveContainerId('1a2b', names, ids));
    expect(err.message).toBe('multiple IDs found with provided prefix: 1a2b');
    expect(classifyError(err)).toBe('notFound');
  });

  it('answers No such container for anything else', () => {
    const { names, ids } = world();
    for (const ref of ['nothing', '/nothing', 'ffff', `${WEB}0`, '/1a2b3c']) {
      const err = thrown(() => resolveContainerId(ref, names, ids));
      expect(err.message).toBe(`No such container: ${ref}`);
      expect(err.code).toBe('ENOENT');
    }
  });

  it('refuses an empty reference as a bad request', () => {
    const { names, ids } = world();
    const err = thrown(() => resolveContainerId('', names, ids));
    expect(err.code).toBe('EINVAL');
    expect(err.message).toBe('invalid name or ID supplied: ""');
  });
});
