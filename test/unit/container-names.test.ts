// Container IDs, name validation, the name registry and generated names,
// against Docker's rules and exact texts.
import { EngineError, classifyError } from '../../src/errors';
import { generateName } from '../../src/container/name-generator';
import { NameRegistry, generateContainerId, validateContainerName } from '../../src/container/names';

const idOf = (fill: string): string => fill.repeat(64).slice(0, 64);
const ID_A = idOf('a1');
const ID_B = idOf('b2');

function thrown(action: () => unknown): EngineError {
  try {
    action();
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error('expected an EngineError, nothing was thrown');
}

describe('generateContainerId', () => {
  it('is 64 lowercase hex characters, different every time', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = generateContainerId();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(200);
  });

  it('draws again while the first 12 characters are all digits', () => {
    const draws = [
      Buffer.from('0123456789010000000000000000000000000000000000000000000000000000', 'hex'),
      Buffer.from('1234567890120000000000000000000000000000000000000000000000000000', 'hex'),
      Buffer.from('12345678901a0000000000000000000000000000000000000000000000000000', 'hex'),
    ];
    let calls = 0;
    const id = generateContainerId(() => draws[calls++]);
    expect(calls).toBe(3);
    expect(id).toBe('12345678901a0000000000000000000000000000000000000000000000000000');
  });

  it('keeps an ID whose digits stop before the 12th character', () => {
    const id = generateContainerId(() => Buffer.from('a'.repeat(64), 'hex'));
    expect(id).toBe('a'.repeat(64));
  });
});

describe('validateContainerName', () => {
  const valid: Array<[string, string]> = [
    ['ab', '/ab'],
    ['/ab', '/ab'],
    ['web', '/web'],
    ['Web1', '/Web1'],
    ['0x', '/0x'],
    ['my_app.v2-x', '/my_app.v2-x'],
    ['a--', '/a--'],
    ['a__', '/a__'],
    ['a..', '/a..'],
    ['/9lives', '/9lives'],
    [ID_A, `/${ID_A}`],
  ];
  it.each(valid)('accepts %j as %j', (input, stored) => {
    expect(validateContainerName(input)).toBe(stored);
  });

  const invalid = ['', '/', 'a', '/a', '_ab', '-ab', '.ab', '//ab', 'a b', 'a/b', 'ab/', 'ab$', 'ab:c', 'über', 'ab\n'];
  it.each(invalid)('refuses %j with Docker\'s text (400)', (input) => {
    const err = thrown(() => validateContainerName(input));
    expect(err.message).toBe(`Invalid container name (${input}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    expect(err.code).toBe('EINVAL');
    expect(classifyError(err)).toBe('invalid');
  });
});

describe('NameRegistry', () => {
  it('reserves, finds with or without the slash, and releases', () => {
    const names = new NameRegistry();
    names.reserve('/web', ID_A);
    expect(names.get('/web')).toBe(ID_A);
    expect(names.get('web')).toBe(ID_A);
    expect(names.get('other')).toBeUndefined();
    expect(names.get('')).toBeUndefined();
    expect(names.namesOf(ID_A)).toEqual(['/web']);
    expect(names.size).toBe(1);
    names.release('web');
    expect(names.get('/web')).toBeUndefined();
    expect(names.namesOf(ID_A)).toEqual([]);
    expect(names.size).toBe(0);
  });

  it('stores a name given without its slash under the slashed form', () => {
    const names = new NameRegistry();
    names.reserve('db', ID_A);
    expect(names.namesOf(ID_A)).toEqual(['/db']);
  });

  it('lets the same container reserve its name again', () => {
    const names = new NameRegistry();
    names.reserve('/web', ID_A);
    names.reserve('/web', ID_A);
    names.reserve('web', ID_A);
    expect(names.namesOf(ID_A)).toEqual(['/web']);
    expect(names.size).toBe(1);
  });

  it('refuses a name another container holds with Docker\'s 409 text', () => {
    const names = new NameRegistry();
    names.reserve('/x', ID_A);
    const err = thrown(() => names.reserve('/x', ID_B));
    expect(err.message).toBe(
      `Conflict. The container name "/x" is already in use by container "${ID_A}". ` +
        'You have to remove (or rename) that container to be able to reuse that name.',
    );
    expect(err.code).toBe('EEXIST');
    expect(classifyError(err)).toBe('conflict');
    expect(names.get('x')).toBe(ID_A);
    expect(names.namesOf(ID_B)).toEqual([]);
  });

  it('frees a released name for another container', () => {
    const names = new NameRegistry();
    names.reserve('/x', ID_A);
    names.release('/x');
    names.reserve('/x', ID_B);
    expect(names.get('x')).toBe(ID_B);
  });

  it('releaseAll frees every name of one container and only those', () => {
    const names = new NameRegistry();
    names.reserve('/web', ID_A);
    names.reserve('/web/db', ID_A);
    names.reserve('/db', ID_B);
    expect(names.namesOf(ID_A)).toEqual(['/web', '/web/db']);
    names.releaseAll(ID_A);
    expect(names.get('/web')).toBeUndefined();
    expect(names.get('/web/db')).toBeUndefined();
    expect(names.get('/db')).toBe(ID_B);
    expect(names.size).toBe(1);
    names.releaseAll(ID_A);
    expect(names.size).toBe(1);
  });

  it('ignores the release of a name nobody holds', () => {
    const names = new NameRegistry();
    names.reserve('/web', ID_A);
    names.release('/nobody');
    expect(names.size).toBe(1);
  });

  it('gives one name to exactly one of 50 concurrent creates', async () => {
    const names = new NameRegistry();
    const ids = Array.from({ length: 50 }, () => generateContainerId());
    const outcomes = await Promise.all(
      ids.map(async (id, i) => {
        // Each "create" yields to the event loop a different number of times first.
        for (let t = 0; t < i % 7; t++) await new Promise((resolve) => setImmediate(resolve));
        try {
          names.reserve('/shared', id);
          return 'won';
        } catch (err) {
          return (err as EngineError).code;
        }
      }),
    );
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'EEXIST')).toHaveLength(49);
    const winner = ids[outcomes.indexOf('won')];
    expect(names.get('/shared')).toBe(winner);
    expect(names.size).toBe(1);
  });
});

describe('generated names', () => {
  it('are adjective_surname, with one digit appended on retries', () => {
    const plain = Array.from({ length: 500 }, () => generateName(0));
    const retried = Array.from({ length: 500 }, (_, i) => generateName(1 + (i % 5)));
    expect(plain.filter((name) => !/^[a-z]+_[a-z]+$/.test(name))).toEqual([]);
    expect(retried.filter((name) => !/^[a-z]+_[a-z]+[0-9]$/.test(name))).toEqual([]);
  });

  it('draw from about 100 adjectives and 200 surnames, and never boring_wozniak', () => {
    const adjectives = new Set<string>();
    const surnames = new Set<string>();
    // 100k draws: every word shows up, and a skip that did not work would
    // show boring_wozniak about five times.
    let jokes = 0;
    for (let i = 0; i < 100_000; i++) {
      const name = generateName(0);
      if (name === 'boring_wozniak') jokes++;
      const [adjective, surname] = name.split('_');
      adjectives.add(adjective);
      surnames.add(surname);
    }
    expect(jokes).toBe(0);
    expect(adjectives.size).toBeGreaterThanOrEqual(95);
    expect(surnames.size).toBeGreaterThanOrEqual(190);
    expect(adjectives.has('boring')).toBe(true);
    expect(surnames.has('wozniak')).toBe(true);
  });

  it('reserveGenerated reserves a fresh slashed name for the container', () => {
    const names = new NameRegistry();
    const name = names.reserveGenerated(ID_A);
    expect(name).toMatch(/^\/[a-z]+_[a-z]+[0-9]?$/);
    expect(names.get(name)).toBe(ID_A);
    expect(names.namesOf(ID_A)).toEqual([name]);
  });

  it('stay unique across many reservations', () => {
    const names = new NameRegistry();
    const given = new Set<string>();
    const misplaced: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const id = generateContainerId();
      const name = names.reserveGenerated(id);
      given.add(name);
      if (names.get(name) !== id) misplaced.push(name);
    }
    expect(misplaced).toEqual([]);
    expect(given.size).toBe(3000);
    expect(names.size).toBe(3000);
  });

  it('try six times (retries 0..5), then fall back to the short ID', () => {
    const retries: number[] = [];
    const names = new NameRegistry((retry) => {
      retries.push(retry);
      return 'always_taken';
    });
    names.reserve('/always_taken', ID_B);
    const name = names.reserveGenerated(ID_A);
    expect(retries).toEqual([0, 1, 2, 3, 4, 5]);
    expect(name).toBe(`/${ID_A.slice(0, 12)}`);
    expect(names.get(name)).toBe(ID_A);
  });

  it('take the first free attempt', () => {
    const names = new NameRegistry((retry) => (retry === 0 ? 'taken_name' : `taken_name${retry}`));
    names.reserve('taken_name', ID_B);
    names.reserve('taken_name1', ID_B);
    expect(names.reserveGenerated(ID_A)).toBe('/taken_name2');
  });

  it('report a conflict when even the short ID is taken', () => {
    const names = new NameRegistry(() => 'always_taken');
    names.reserve('/always_taken', ID_B);
    names.reserve(`/${ID_A.slice(0, 12)}`, ID_B);
    const err = thrown(() => names.reserveGenerated(ID_A));
    expect(err.code).toBe('EEXIST');
    expect(names.namesOf(ID_A)).toEqual([]);
  });
});
