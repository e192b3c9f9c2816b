// Image references against Docker's behaviour: normalization, familiar
// forms, and the exact texts Docker prints for references it refuses.
import { createHash } from 'crypto';
import {
  ImageReference,
  InvalidReferenceError,
  familiarName,
  familiarString,
  isDigest,
  isShortIdPrefix,
  normalizedString,
  parseAnyReference,
  parseDigest,
  parseImageId,
  parseReference,
  parseShortIdPrefix,
  repositoryName,
  withDigest,
  withTag,
} from '../../src/image/reference';

const HEX = createHash('sha256').update('busybox').digest('hex');
const HEX512 = createHash('sha512').update('busybox').digest('hex');
const DIGEST = `sha256:${HEX}`;

function refusal(input: string): InvalidReferenceError {
  try {
    parseReference(input);
  } catch (err) {
    if (err instanceof InvalidReferenceError) return err;
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

describe('valid references normalize as Docker normalizes them', () => {
  // [input, normalized, familiar, defaultTagAdded]
  const table: Array<[string, string, string, boolean]> = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest', true],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36', false],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest', true],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest', true],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest', false],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest', true],
    ['index.docker.io/user/repo:tag', 'docker.io/user/repo:tag', 'user/repo:tag', false],
    ['user/repo', 'docker.io/user/repo:latest', 'user/repo:latest', true],
    ['user/repo:tag', 'docker.io/user/repo:tag', 'user/repo:tag', false],
    ['localhost/repo', 'localhost/repo:latest', 'localhost/repo:latest', true],
    ['localhost:5000/repo:tag', 'localhost:5000/repo:tag', 'localhost:5000/repo:tag', false],
    [`127.0.0.1:5000/a/b/c@${DIGEST}`, `127.0.0.1:5000/a/b/c@${DIGEST}`, `127.0.0.1:5000/a/b/c@${DIGEST}`, false],
    ['[::1]:5000/repo:v1', '[::1]:5000/repo:v1', '[::1]:5000/repo:v1', false],
    ['[2001:db8::1]/repo', '[2001:db8::1]/repo:latest', '[2001:db8::1]/repo:latest', true],
    [
      'registry.example.com/team/app:1.0',
      'registry.example.com/team/app:1.0',
      'registry.example.com/team/app:1.0',
      false,
    ],
    ['example:5000/app', 'example:5000/app:latest', 'example:5000/app:latest', true],
    [`busybox:1.36@${DIGEST}`, `docker.io/library/busybox:1.36@${DIGEST}`, `busybox:1.36@${DIGEST}`, false],
    [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`, `busybox@${DIGEST}`, false],
    [`busybox@sha512:${HEX512}`, `docker.io/library/busybox@sha512:${HEX512}`, `busybox@sha512:${HEX512}`, false],
    ['a/b/c/d/e', 'docker.io/a/b/c/d/e:latest', 'a/b/c/d/e:latest', true],
    // Only one component after library/ is shortened (else it would read back as a user repo).
    ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest', true],
    ['my_app', 'docker.io/library/my_app:latest', 'my_app:latest', true],
    ['my__app', 'docker.io/library/my__app:latest', 'my__app:latest', true],
    ['my-app', 'docker.io/library/my-app:latest', 'my-app:latest', true],
    ['my---app', 'docker.io/library/my---app:latest', 'my---app:latest', true],
    ['my.app', 'docker.io/library/my.app:latest', 'my.app:latest', true],
    ['user/my.app_v2-x', 'docker.io/user/my.app_v2-x:latest', 'user/my.app_v2-x:latest', true],
    ['foo.bar/baz', 'foo.bar/baz:latest', 'foo.bar/baz:latest', true],
    ['0123/4567', 'docker.io/0123/4567:latest', '0123/4567:latest', true],
    // Without a slash a host:port is a name and a tag: Docker's own reading.
    ['localhost:5000', 'docker.io/library/localhost:5000', 'localhost:5000', false],
    ['localhost', 'docker.io/library/localhost:latest', 'localhost:latest', true],
    ['busybox:LATEST_v-1.2', 'docker.io/library/busybox:LATEST_v-1.2', 'busybox:LATEST_v-1.2', false],
    ['busybox:_x', 'docker.io/library/busybox:_x', 'busybox:_x', false],
    [`busybox:${'t'.repeat(128)}`, `docker.io/library/busybox:${'t'.repeat(128)}`, `busybox:${'t'.repeat(128)}`, false],
    // An uppercase first component is taken as a host (Hub namespaces are lowercase).
    ['Foo/bar', 'Foo/bar:latest', 'Foo/bar:latest', true],
    ['INDEX.docker.io/x', 'INDEX.docker.io/x:latest', 'INDEX.docker.io/x:latest', true],
    // A 64-hex string is refused alone, not as a name with a tag.
    [`${HEX}:v1`, `docker.io/library/${HEX}:v1`, `${HEX}:v1`, false],
    // The 255 limit counts the path only, not the domain.
    ['a'.repeat(247), `docker.io/library/${'a'.repeat(247)}:latest`, `${'a'.repeat(247)}:latest`, true],
    [
      `localhost:5000/${'a'.repeat(255)}`,
      `localhost:5000/${'a'.repeat(255)}:latest`,
      `localhost:5000/${'a'.repeat(255)}:latest`,
      true,
    ],
  ];

  test.each(table)('%s', (input, normalized, familiar, defaultTagAdded) => {
    const ref = parseReference(input);
    expect(normalizedString(ref)).toBe(normalized);
    expect(familiarString(ref)).toBe(familiar);
    expect(ref.defaultTagAdded).toBe(defaultTagAdded);
    // The normalized form parses back to itself, as Docker's stores rely on.
    expect(normalizedString(parseReference(normalized))).toBe(normalized);
    expect(normalizedString(parseReference(familiar))).toBe(normalized);
  });

  test('fields are split into domain, path, tag and digest', () => {
    expect(parseReference('busybox')).toEqual({
      domain: 'docker.io',
      path: 'library/busybox',
      tag: 'latest',
      defaultTagAdded: true,
    });
    expect(parseReference(`127.0.0.1:5000/a/b/c@${DIGEST}`)).toEqual({
      domain: '127.0.0.1:5000',
      path: 'a/b/c',
      digest: DIGEST,
      defaultTagAdded: false,
    });
    expect(parseReference(`localhost:5000/repo:tag@${DIGEST}`)).toEqual({
      domain: 'localhost:5000',
      path: 'repo',
      tag: 'tag',
      digest: DIGEST,
      defaultTagAdded: false,
    });
    expect(Object.keys(parseReference(`busybox@${DIGEST}`))).not.toContain('tag');
  });

  test('the default tag can be left off', () => {
    expect(parseReference('busybox', { defaultTag: false })).toEqual({
      domain: 'docker.io',
      path: 'library/busybox',
      defaultTagAdded: false,
    });
    expect(normalizedString(parseReference('user/repo', { defaultTag: false }))).toBe('docker.io/user/repo');
  });

  test("a host-looking component that is no host stays in the path (Docker's corner case)", () => {
    const ref = parseReference('a_b.com/foo');
    expect(ref).toEqual({ domain: '', path: 'a_b.com/foo', tag: 'latest', defaultTagAdded: true });
    expect(normalizedString(ref)).toBe('a_b.com/foo:latest');
    expect(familiarString(ref)).toBe('a_b.com/foo:latest');
  });
});

describe('invalid references fail with Docker texts', () => {
  const FORMAT = 'invalid reference format';
  const table: Array<[string, string]> = [
    ['', FORMAT],
    ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['library/Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['docker.io/Foo', 'invalid reference format: repository name (library/Foo) must be lowercase'],
    ['user/Repo:tag', 'invalid reference format: repository name (user/Repo) must be lowercase'],
    ['localhost:5000/Foo', 'invalid reference format: repository name (Foo) must be lowercase'],
    // Docker cuts the name at the first colon, even inside a digest.
    [`Busybox@${DIGEST}`, 'invalid reference format: repository name (library/Busybox@sha256) must be lowercase'],
    // Host-like uppercase first component that fits no host grammar.
    ['FOO_x/bar', 'repository name must be lowercase'],
    ['busybox:', FORMAT],
    [':tag', FORMAT],
    ['a:b:c', FORMAT],
    ['busybox@', FORMAT],
    ['busybox:tag@', FORMAT],
    ['busybox:-tag', FORMAT],
    ['busybox:.tag', FORMAT],
    [`busybox:${'t'.repeat(129)}`, FORMAT],
    ['busybox@sha256:abc', FORMAT],
    [`busybox@sha256:${HEX.slice(0, 40)}`, 'invalid checksum digest length'],
    [`busybox@sha256:${HEX}0`, 'invalid checksum digest length'],
    [`busybox@sha256:${HEX.toUpperCase()}`, 'invalid checksum digest format'],
    // The same first-colon cut makes an uppercase algorithm a name error...
    [`busybox@SHA256:${HEX}`, 'invalid reference format: repository name (library/busybox@SHA256) must be lowercase'],
    // ...unless a tag's colon comes first; then go-digest refuses the algorithm.
    [`busybox:v1@SHA256:${HEX}`, 'invalid checksum digest format'],
    [`busybox@md5:${HEX.slice(0, 32)}`, 'unsupported digest algorithm'],
    [`busybox@sha256:${HEX}@${DIGEST}`, FORMAT],
    [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
    ['a'.repeat(248), 'repository name must not be more than 255 characters'],
    [`localhost/${'a'.repeat(256)}`, 'repository name must not be more than 255 characters'],
    [`user/${'a/'.repeat(125)}bcdef`, 'repository name must not be more than 255 characters'],
    ['-busybox', FORMAT],
    ['busybox-', FORMAT],
    ['user/-repo', FORMAT],
    ['_busybox', FORMAT],
    ['busybox_', FORMAT],
    ['a..b', FORMAT],
    ['a.-b', FORMAT],
    ['a___b', FORMAT],
    ['a//b', FORMAT],
    ['/busybox', FORMAT],
    ['busybox/', FORMAT],
    ['a b', FORMAT],
    [' busybox', FORMAT],
    ['busybox ', FORMAT],
    ['busybox:la test', FORMAT],
    ['http://busybox', FORMAT],
    ['localhost:abc/foo', FORMAT],
    ['-host.com/foo', FORMAT],
    ['a@b', FORMAT],
    ['busybox\n', FORMAT],
  ];

  test.each(table)('%j', (input, message) => {
    const err = refusal(input);
    expect(err.message).toBe(message);
    expect(err.code).toBe('EINVAL');
    expect(err.input).toBe(input);
  });

  test('the error is our own class, not the built-in ReferenceError', () => {
    const err = refusal('Busybox');
    expect(err).toBeInstanceOf(InvalidReferenceError);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ReferenceError);
    expect(err.name).toBe('InvalidReferenceError');
    expect(String(err)).toBe(
      'InvalidReferenceError: invalid reference format: repository name (library/Busybox) must be lowercase',
    );
  });

  test('hostile input is refused quickly', () => {
    for (const input of ['a-'.repeat(100000) + '!', 'a.'.repeat(100000) + '!', `x.y/a${'-'.repeat(100000)}!`]) {
      expect(refusal(input).message).toBe('invalid reference format');
    }
  });
});

describe('output helpers', () => {
  test('names and strings', () => {
    const hub = parseReference('busybox');
    expect(repositoryName(hub)).toBe('docker.io/library/busybox');
    expect(familiarName(hub)).toBe('busybox');
    const user = parseReference('user/repo:tag');
    expect(repositoryName(user)).toBe('docker.io/user/repo');
    expect(familiarName(user)).toBe('user/repo');
    const local = parseReference('localhost:5000/repo:tag');
    expect(repositoryName(local)).toBe('localhost:5000/repo');
    expect(familiarName(local)).toBe('localhost:5000/repo');
    // Plain records (e.g. read from repositories.json) work as well.
    expect(familiarString({ domain: 'docker.io', path: 'library/alpine', tag: '3' })).toBe('alpine:3');
  });

  test('withTag replaces the tag, keeps a digest, refuses bad tags', () => {
    const ref = parseReference('busybox');
    const tagged: ImageReference = withTag(ref, '1.36');
    expect(tagged).toEqual({ domain: 'docker.io', path: 'library/busybox', tag: '1.36', defaultTagAdded: false });
    expect(ref.tag).toBe('latest');
    expect(normalizedString(withTag(parseReference(`busybox@${DIGEST}`), 'v1'))).toBe(
      `docker.io/library/busybox:v1@${DIGEST}`,
    );
    for (const bad of ['', '-x', '.x', 'a b', 'a:b', 't'.repeat(129)]) {
      expect(() => withTag(ref, bad)).toThrow(new InvalidReferenceError('invalid tag format', bad));
    }
  });

  test('withDigest keeps a given tag and drops a defaulted one', () => {
    expect(familiarString(withDigest(parseReference('busybox'), DIGEST))).toBe(`busybox@${DIGEST}`);
    expect(familiarString(withDigest(parseReference('busybox:latest'), DIGEST))).toBe(`busybox:latest@${DIGEST}`);
    expect(familiarString(withDigest(parseReference('user/repo:v2'), DIGEST))).toBe(`user/repo:v2@${DIGEST}`);
    const ref = parseReference('busybox');
    expect(() => withDigest(ref, 'sha256:abc')).toThrow('invalid digest format');
    expect(() => withDigest(ref, HEX)).toThrow('invalid digest format');
    expect(() => withDigest(ref, `sha256:${HEX.slice(1)}`)).toThrow('invalid checksum digest length');
    expect(() => withDigest(ref, `foo:${HEX}`)).toThrow('unsupported digest algorithm');
  });
});

describe('digests and image IDs', () => {
  test('isDigest and parseDigest', () => {
    expect(isDigest(DIGEST)).toBe(true);
    expect(isDigest(`sha512:${HEX512}`)).toBe(true);
    expect(isDigest(`sha384:${HEX512.slice(0, 96)}`)).toBe(true);
    const bad = [HEX, `sha256:${HEX.toUpperCase()}`, `sha256:${HEX.slice(2)}`, `md5:${HEX}`, 'sha256:', ':abc', ''];
    for (const s of bad) {
      expect(isDigest(s)).toBe(false);
    }
    expect(parseDigest(DIGEST)).toBe(DIGEST);
    expect(() => parseDigest('sha256')).toThrow('invalid checksum digest format');
    expect(() => parseDigest(`sha256:${HEX.slice(1)}`)).toThrow('invalid checksum digest length');
    expect(() => parseDigest(`sha256+b64:${HEX}`)).toThrow('unsupported digest algorithm');
  });

  test('parseImageId takes sha256:<hex> or bare hex', () => {
    expect(parseImageId(DIGEST)).toBe(DIGEST);
    expect(parseImageId(HEX)).toBe(DIGEST);
    const short = HEX.slice(0, 12);
    expect(() => parseImageId(short)).toThrow(new InvalidReferenceError('invalid checksum digest format', short));
    expect(() => parseImageId(`sha256:${HEX.slice(0, 12)}`)).toThrow('invalid checksum digest length');
    expect(() => parseImageId(HEX.toUpperCase())).toThrow('invalid checksum digest format');
    expect(() => parseImageId(`sha512:${HEX512}`)).toThrow('unsupported digest algorithm');
    expect(() => parseImageId('busybox')).toThrow(InvalidReferenceError);
  });

  test('short ID prefixes: 1 to 63 lowercase hex, optionally after sha256:', () => {
    expect(isShortIdPrefix('a')).toBe(true);
    expect(isShortIdPrefix(HEX.slice(0, 12))).toBe(true);
    expect(isShortIdPrefix(HEX.slice(0, 63))).toBe(true);
    expect(isShortIdPrefix(`sha256:${HEX.slice(0, 12)}`)).toBe(true);
    expect(parseShortIdPrefix(`sha256:${HEX.slice(0, 12)}`)).toBe(HEX.slice(0, 12));
    expect(parseShortIdPrefix(HEX.slice(0, 5))).toBe(HEX.slice(0, 5));
    for (const bad of ['', 'sha256:', HEX, `sha256:${HEX}`, 'ABC', 'xyz', 'abc ', `sha512:${HEX.slice(0, 12)}`]) {
      expect(isShortIdPrefix(bad)).toBe(false);
    }
  });

  test('parseAnyReference: IDs, digests, then names', () => {
    expect(parseAnyReference(HEX)).toEqual({ kind: 'digest', digest: DIGEST });
    expect(parseAnyReference(DIGEST)).toEqual({ kind: 'digest', digest: DIGEST });
    expect(parseAnyReference('busybox')).toEqual({ kind: 'named', ref: parseReference('busybox') });
    // A short ID is a name to the parser; the lookup tries it as a prefix afterwards.
    expect(parseAnyReference(HEX.slice(0, 12))).toEqual({
      kind: 'named',
      ref: { domain: 'docker.io', path: `library/${HEX.slice(0, 12)}`, tag: 'latest', defaultTagAdded: true },
    });
    expect(() => parseAnyReference('Busybox')).toThrow(
      'invalid reference format: repository name (library/Busybox) must be lowercase',
    );
  });
});
