// Image config merged into the request's config by Docker's rules. The image
// here is the reference image (CMD /bin/sh, VOLUME /data, ENV FOO and PATH,
// LABEL a=b); the expected results are what dockerd 20.10 made of the same
// requests.
import { mergeImageConfig, pathAndArgs } from '../../src/container/merge';
import type { ContainerConfig } from '../../src/container/types';
import { EngineError } from '../../src/errors';

const bbref: Record<string, unknown> = {
  Env: ['FOO=bar', 'PATH=/usr/bin:/bin'],
  Cmd: ['/bin/sh'],
  Volumes: { '/data': {} },
  Labels: { a: 'b' },
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
};

function refusal(user: ContainerConfig, image: Record<string, unknown> | null): EngineError {
  try {
    mergeImageConfig(user, image);
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(user)}`);
}

describe('mergeImageConfig, as dockerd merged the reference image', () => {
  test('a bare request takes everything from the image', () => {
    const merged = mergeImageConfig({ Image: 'bbref' }, bbref);
    expect(merged).toMatchObject({
      Image: 'bbref',
      Env: ['FOO=bar', 'PATH=/usr/bin:/bin'],
      Cmd: ['/bin/sh'],
      Entrypoint: null,
      Labels: { a: 'b' },
      Volumes: { '/data': {} },
    });
    expect(pathAndArgs(merged)).toEqual({ Path: '/bin/sh', Args: [] });
  });

  test('user env, labels and volumes win by key, image entries fill the rest', () => {
    const merged = mergeImageConfig(
      { Image: 'bbref', Env: ['FOO=mine', 'B=2'], Labels: { a: 'user' }, Volumes: { '/v': {} }, Cmd: [] },
      bbref,
    );
    expect(merged.Env).toEqual(['FOO=mine', 'B=2', 'PATH=/usr/bin:/bin']);
    expect(merged.Labels).toEqual({ a: 'user' });
    expect(merged.Volumes).toEqual({ '/v': {}, '/data': {} });
    expect(merged.Cmd).toEqual(['/bin/sh']);
  });

  test('an env entry without = still claims its key', () => {
    expect(mergeImageConfig({ Env: ['FOO'], Cmd: ['x'] }, bbref).Env).toEqual(['FOO', 'PATH=/usr/bin:/bin']);
  });

  test('an empty user env is replaced by the image env', () => {
    expect(mergeImageConfig({ Env: [], Cmd: ['x'] }, bbref).Env).toEqual(['FOO=bar', 'PATH=/usr/bin:/bin']);
  });

  test('--entrypoint "" with a command runs the command', () => {
    const merged = mergeImageConfig({ Image: 'bbref', Entrypoint: [''], Cmd: ['ls', '-l'] }, bbref);
    expect(merged.Entrypoint).toBeNull();
    expect(merged.Cmd).toEqual(['ls', '-l']);
    expect(pathAndArgs(merged)).toEqual({ Path: 'ls', Args: ['-l'] });
  });

  test('--entrypoint "" alone leaves nothing to run', () => {
    const err = refusal({ Image: 'bbref', Entrypoint: [''] }, bbref);
    expect(err.code).toBe('EINVAL');
    expect(err.message).toBe('no command specified');
  });

  test('an explicit empty entrypoint keeps the image command and no entrypoint', () => {
    const merged = mergeImageConfig({ Image: 'bbref', Entrypoint: [] }, bbref);
    expect(merged.Entrypoint).toEqual([]);
    expect(merged.Cmd).toEqual(['/bin/sh']);
    expect(pathAndArgs(merged)).toEqual({ Path: '/bin/sh', Args: [] });
  });

  test('a user entrypoint drops the image command', () => {
    const merged = mergeImageConfig({ Image: 'bbref', Entrypoint: ['/bin/echo', 'x'] }, bbref);
    expect(merged.Cmd ?? null).toBeNull();
    expect(pathAndArgs(merged)).toEqual({ Path: '/bin/echo', Args: ['x'] });
  });
});

describe('mergeImageConfig rules', () => {
  const image = {
    User: 'daemon',
    WorkingDir: '/srv',
    StopSignal: 'SIGQUIT',
    ExposedPorts: { '80/tcp': {}, '443/tcp': {} },
    Entrypoint: ['/entry'],
    Cmd: ['--serve'],
    ArgsEscaped: true,
    Healthcheck: { Test: ['CMD', 'check'], Interval: 5e9, Timeout: 1e9, StartPeriod: 2e9, StartInterval: 3e9, Retries: 3 },
    Labels: { a: 'b', c: 'd' },
  };

  test('User, WorkingDir and StopSignal fill only when empty', () => {
    expect(mergeImageConfig({}, image)).toMatchObject({ User: 'daemon', WorkingDir: '/srv', StopSignal: 'SIGQUIT' });
    expect(mergeImageConfig({ User: 'root', WorkingDir: '/w', StopSignal: 'SIGTERM' }, image)).toMatchObject({
      User: 'root',
      WorkingDir: '/w',
      StopSignal: 'SIGTERM',
    });
  });

  test('exposed ports are a union', () => {
    expect(mergeImageConfig({ ExposedPorts: { '8080/tcp': {}, '80/tcp': {} } }, image).ExposedPorts).toEqual({
      '8080/tcp': {},
      '80/tcp': {},
      '443/tcp': {},
    });
    expect(mergeImageConfig({}, image).ExposedPorts).toEqual({ '80/tcp': {}, '443/tcp': {} });
  });

  test('an empty set of the user gives way to the image\'s, even to none', () => {
    expect(mergeImageConfig({ Volumes: {} }, image).Volumes).toBeNull();
    expect(mergeImageConfig({ Volumes: {} }, { ...image, Volumes: { '/d': {} } }).Volumes).toEqual({ '/d': {} });
  });

  test('the image entrypoint and command both apply when the user gave neither', () => {
    const merged = mergeImageConfig({}, image);
    expect(merged.Entrypoint).toEqual(['/entry']);
    expect(merged.Cmd).toEqual(['--serve']);
    expect(merged.ArgsEscaped).toBe(true);
    expect(pathAndArgs(merged)).toEqual({ Path: '/entry', Args: ['--serve'] });
  });

  test('a user command keeps the image entrypoint', () => {
    const merged = mergeImageConfig({ Cmd: ['--debug'] }, image);
    expect(merged.Entrypoint).toEqual(['/entry']);
    expect(merged.Cmd).toEqual(['--debug']);
    expect(merged.ArgsEscaped).toBeUndefined();
    expect(pathAndArgs(merged)).toEqual({ Path: '/entry', Args: ['--debug'] });
  });

  test('labels fill missing keys; a request without labels gets the image\'s', () => {
    expect(mergeImageConfig({ Labels: { a: 'x' } }, image).Labels).toEqual({ a: 'x', c: 'd' });
    expect(mergeImageConfig({ Cmd: ['x'] }, { Cmd: null }).Labels).toEqual({});
  });

  test('the health check takes the image\'s values for the fields the user left at zero', () => {
    expect(mergeImageConfig({ Healthcheck: { Interval: 9e9, Retries: 0 } }, image).Healthcheck).toEqual({
      Test: ['CMD', 'check'],
      Interval: 9e9,
      Timeout: 1e9,
      StartPeriod: 2e9,
      StartInterval: 3e9,
      Retries: 3,
    });
    expect(mergeImageConfig({}, image).Healthcheck).toEqual(image.Healthcheck);
    expect(mergeImageConfig({ Healthcheck: { Test: ['NONE'] } }, { Cmd: ['x'] }).Healthcheck).toEqual({ Test: ['NONE'] });
  });

  test('no image means no merge, but a command is still required', () => {
    expect(mergeImageConfig({ Cmd: ['x'], Volumes: {} }, null)).toEqual({ Cmd: ['x'], Volumes: {} });
    expect(refusal({ Image: 'x' }, undefined as unknown as null).message).toBe('no command specified');
    expect(refusal({ Cmd: [] }, { Cmd: [] }).message).toBe('no command specified');
  });

  test('malformed image fields are ignored, not trusted', () => {
    const merged = mergeImageConfig({}, { Cmd: ['ok', 5], Env: 'x', Labels: { a: 1, b: 'c' }, Volumes: ['bad'], User: 7, Healthcheck: { Interval: 'x', Retries: 2 } });
    expect(merged.Cmd).toEqual(['ok']);
    expect(merged.Env).toEqual(['x']);
    expect(merged.Labels).toEqual({ b: 'c' });
    expect(merged.Volumes).toBeNull();
    expect(merged.User).toBe('');
    expect(merged.Healthcheck).toEqual({ Retries: 2 });
  });

  test('neither input is changed, and the result shares nothing with them', () => {
    const user: ContainerConfig = { Env: ['A=1'], Labels: { x: 'y' }, ExposedPorts: { '1/tcp': {} }, Volumes: { '/u': {} }, Healthcheck: { Retries: 1 } };
    const userSnapshot = structuredClone(user);
    const imageSnapshot = structuredClone(image);
    const merged = mergeImageConfig(user, image);
    merged.Env!.push('B=2');
    merged.Labels!.z = 'z';
    merged.ExposedPorts!['2/tcp'] = {};
    merged.Cmd!.push('more');
    merged.Healthcheck!.Test!.push('more');
    expect(user).toEqual(userSnapshot);
    expect(image).toEqual(imageSnapshot);
    const fromImage = mergeImageConfig({}, image);
    fromImage.Entrypoint!.push('x');
    fromImage.Healthcheck!.Test!.push('x');
    expect(image).toEqual(imageSnapshot);
  });
});

describe('pathAndArgs', () => {
  test.each([
    [{ Cmd: ['/bin/sh', '-c', 'true'] }, { Path: '/bin/sh', Args: ['-c', 'true'] }],
    [{ Entrypoint: ['/e', 'a'], Cmd: ['b'] }, { Path: '/e', Args: ['a', 'b'] }],
    [{ Entrypoint: [], Cmd: ['c'] }, { Path: 'c', Args: [] }],
    [{ Entrypoint: ['/e'], Cmd: null }, { Path: '/e', Args: [] }],
  ])('%j', (config: ContainerConfig, expected) => {
    expect(pathAndArgs(config)).toEqual(expected);
  });
});
