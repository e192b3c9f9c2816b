// The API layer's pure parts: versions, query booleans and filters,
// timestamps, X-Registry-Auth, image filters and pull references.
import { globToRegExp, filterImages } from '../../src/api/image-filters';
import { parseFilters, queryBool, queryInt } from '../../src/api/query';
import { decodeRegistryAuth, encodeRegistryAuth } from '../../src/api/registry-auth';
import { parsePlatform, pullReference } from '../../src/api/routes/images';
import { parseTimestampNs } from '../../src/api/timestamp';
import { checkApiVersion, compareVersions, splitVersionPrefix, wantsJsonErrors } from '../../src/api/version';
import type { ImageSummary } from '../../src/engine/engine';
import { classifyError } from '../../src/errors';

const invalid = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(classifyError(e)).toBe('invalid');
    return (e as Error).message;
  }
  throw new Error('expected a 400');
};

describe('API versions', () => {
  test('compare part by part, numerically', () => {
    expect(compareVersions('1.9', '1.12')).toBe(-1);
    expect(compareVersions('1.50', '1.50')).toBe(0);
    expect(compareVersions('1.50.0', '1.50')).toBe(0);
    expect(compareVersions('2', '1.99')).toBe(1);
  });

  test('the range is 1.12 to 1.50, with Docker texts outside it', () => {
    expect(() => checkApiVersion('1.12')).not.toThrow();
    expect(() => checkApiVersion('1.50')).not.toThrow();
    expect(invalid(() => checkApiVersion('0.1'))).toBe(
      'client version 0.1 is too old. Minimum supported API version is 1.12, please upgrade your client to a newer version',
    );
    expect(invalid(() => checkApiVersion('9.99'))).toBe('client version 9.99 is too new. Maximum supported API version is 1.50');
    expect(invalid(() => checkApiVersion('1.51'))).toMatch(/too new/);
  });

  test('only digits and dots make a prefix', () => {
    expect(splitVersionPrefix('/v1.41/containers/json?all=1')).toEqual({ version: '1.41', path: '/containers/json?all=1' });
    expect(splitVersionPrefix('/_ping')).toEqual({ version: undefined, path: '/_ping' });
    expect(splitVersionPrefix('/vabc/_ping')).toEqual({ version: undefined, path: '/vabc/_ping' });
    expect(splitVersionPrefix('/volumes/v1.2')).toEqual({ version: undefined, path: '/volumes/v1.2' });
  });

  test('errors are JSON from 1.24 on', () => {
    expect(wantsJsonErrors(undefined)).toBe(true);
    expect(wantsJsonErrors('1.24')).toBe(true);
    expect(wantsJsonErrors('1.23')).toBe(false);
  });
});

describe('query parameters', () => {
  test('booleans as Docker reads them', () => {
    for (const v of ['1', 'true', 'True', 'yes', 'anything']) expect(queryBool({ all: v }, 'all')).toBe(true);
    for (const v of ['0', 'false', 'False', '', 'no', 'none', ' 0 ']) expect(queryBool({ all: v }, 'all')).toBe(false);
    expect(queryBool({}, 'all')).toBe(false);
    expect(queryBool({}, 'all', true)).toBe(true);
    expect(queryBool({ all: ['1', '0'] }, 'all')).toBe(true);
  });

  test('integers', () => {
    expect(queryInt({ limit: '5' }, 'limit')).toBe(5);
    expect(queryInt({ limit: '-1' }, 'limit')).toBe(-1);
    expect(queryInt({}, 'limit')).toBeUndefined();
    expect(invalid(() => queryInt({ limit: 'x' }, 'limit'))).toMatch(/limit/);
  });

  test('filters in both JSON shapes', () => {
    expect(parseFilters(undefined)).toEqual({});
    expect(parseFilters('')).toEqual({});
    expect(parseFilters('{"name":["a","b"]}')).toEqual({ name: ['a', 'b'] });
    expect(parseFilters('{"name":{"a":true,"b":true}}')).toEqual({ name: ['a', 'b'] });
    expect(parseFilters('{"label":{}}')).toEqual({ label: [] });
  });

  test('bad filters are 400s', () => {
    expect(invalid(() => parseFilters('{bad'))).toMatch(/^invalid filters/);
    expect(invalid(() => parseFilters('["a"]'))).toMatch(/must be a JSON object/);
    expect(invalid(() => parseFilters('{"name":"a"}'))).toMatch(/"name"/);
    expect(invalid(() => parseFilters('{"name":[1]}'))).toMatch(/"name"/);
  });
});

describe('timestamps', () => {
  test('seconds with optional nanoseconds', () => {
    expect(parseTimestampNs('1700000000', 'since')).toBe(1700000000e9);
    expect(parseTimestampNs('1700000000.000000500', 'since')).toBe(1700000000e9 + 500);
    expect(parseTimestampNs('1.5', 'since')).toBe(1.5e9);
  });

  test('RFC 3339, with zone or offset', () => {
    expect(parseTimestampNs('2024-01-02T03:04:05Z', 'until')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) * 1e6);
    expect(parseTimestampNs('2024-01-02T03:04:05.25Z', 'until')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) * 1e6 + 250_000_000);
    expect(parseTimestampNs('2024-01-02T04:04:05+01:00', 'until')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) * 1e6);
  });

  test('anything else is a 400 naming the parameter', () => {
    expect(invalid(() => parseTimestampNs('abc', 'since'))).toMatch(/since/);
    expect(invalid(() => parseTimestampNs('10m', 'until'))).toMatch(/until/);
  });
});

describe('X-Registry-Auth', () => {
  test('absent or empty is anonymous', () => {
    expect(decodeRegistryAuth(undefined)).toEqual({});
    expect(decodeRegistryAuth('')).toEqual({});
    expect(decodeRegistryAuth(encodeRegistryAuth({}))).toEqual({});
  });

  test('username and password, or auth', () => {
    expect(decodeRegistryAuth(encodeRegistryAuth({ username: 'u', password: 'p:w' }))).toEqual({ username: 'u', password: 'p:w' });
    const viaAuth = Buffer.from(JSON.stringify({ auth: Buffer.from('alice:s3cret').toString('base64') })).toString('base64');
    expect(decodeRegistryAuth(viaAuth)).toEqual({ username: 'alice', password: 's3cret' });
  });

  test('garbage is a 400', () => {
    expect(invalid(() => decodeRegistryAuth('!!!notbase64json'))).toMatch(/^invalid X-Registry-Auth header/);
    expect(invalid(() => decodeRegistryAuth(Buffer.from('[1]').toString('base64url')))).toMatch(/not a JSON object/);
  });
});

describe('pull references and platforms', () => {
  test('tag replaces what the name carried; a digest pins it', () => {
    expect(pullReference('busybox', 'latest')).toBe('busybox:latest');
    expect(pullReference('busybox:1', 'latest')).toBe('busybox:latest');
    expect(pullReference('127.0.0.1:5000/x/y', '2')).toBe('127.0.0.1:5000/x/y:2');
    expect(pullReference('127.0.0.1:5000/x', undefined)).toBe('127.0.0.1:5000/x');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(pullReference('busybox', digest)).toBe(`busybox@${digest}`);
    expect(() => pullReference('busybox', 'bad tag')).toThrow();
  });

  test('platforms are normalized', () => {
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(invalid(() => parsePlatform('linux//'))).toMatch(/invalid platform/);
  });
});

describe('image filters', () => {
  const image = (id: string, tags: string[], created: number, labels: Record<string, string> | null = null): ImageSummary => ({
    Id: id,
    ParentId: '',
    RepoTags: tags,
    RepoDigests: [],
    Created: created,
    Size: 1,
    SharedSize: -1,
    Labels: labels,
    Containers: -1,
  });
  const images = [
    image('a', ['busybox:latest', 'busybox:1'], 10, { team: 'x' }),
    image('b', ['127.0.0.1:5000/app/web:2'], 20),
    image('c', [], 30, { team: 'y' }),
  ];
  const ids = (list: ImageSummary[]): string[] => list.map((i) => i.Id);
  const noRefs = (): number => {
    throw new Error('not asked');
  };

  test('globs do not cross a slash', () => {
    expect(globToRegExp('busy*').test('busybox')).toBe(true);
    expect(globToRegExp('*').test('app/web')).toBe(false);
    expect(globToRegExp('b?sybox:[0-9]').test('busybox:1')).toBe(true);
  });

  test('reference by name or name:tag', () => {
    expect(ids(filterImages(images, { reference: ['busybox'] }, noRefs))).toEqual(['a']);
    expect(ids(filterImages(images, { reference: ['busybox:1'] }, noRefs))).toEqual(['a']);
    expect(ids(filterImages(images, { reference: ['127.0.0.1:5000/app/*'] }, noRefs))).toEqual(['b']);
    expect(ids(filterImages(images, { reference: ['nothing'] }, noRefs))).toEqual([]);
  });

  test('dangling, label, before, since', () => {
    expect(ids(filterImages(images, { dangling: ['true'] }, noRefs))).toEqual(['c']);
    expect(ids(filterImages(images, { dangling: ['false'] }, noRefs))).toEqual(['a', 'b']);
    expect(ids(filterImages(images, { label: ['team'] }, noRefs))).toEqual(['a', 'c']);
    expect(ids(filterImages(images, { label: ['team=y'] }, noRefs))).toEqual(['c']);
    expect(ids(filterImages(images, { before: ['b'] }, () => 20))).toEqual(['a']);
    expect(ids(filterImages(images, { since: ['b'] }, () => 20))).toEqual(['c']);
  });

  test('unknown keys and bad values are 400s', () => {
    expect(invalid(() => filterImages(images, { nope: ['x'] }, noRefs))).toBe("invalid filter 'nope'");
    expect(invalid(() => filterImages(images, { dangling: ['maybe'] }, noRefs))).toMatch(/dangling/);
  });
});
