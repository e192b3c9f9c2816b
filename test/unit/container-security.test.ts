// SecurityOpt parsed as dockerd parses it at create; the refusal texts are
// what dockerd 20.10 answered for the same options.
import { goQuote, securityOptions } from '../../src/container/security';
import { EngineError } from '../../src/errors';

function refusal(opts: string[]): EngineError {
  try {
    securityOptions({ SecurityOpt: opts });
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(opts)}`);
}

describe('securityOptions', () => {
  test('no options give the defaults', () => {
    expect(securityOptions({})).toEqual({
      labelDisabled: false,
      noNewPrivileges: false,
      apparmorProfile: '',
      seccompProfile: '',
      labelOpts: [],
    });
  });

  test('each kind of option lands in its field', () => {
    expect(
      securityOptions({ SecurityOpt: ['label=user:u', 'label=type:t', 'apparmor=prof', 'seccomp=unconfined', 'no-new-privileges'] }),
    ).toEqual({
      labelDisabled: false,
      noNewPrivileges: true,
      apparmorProfile: 'prof',
      seccompProfile: 'unconfined',
      labelOpts: ['user:u', 'type:t'],
    });
  });

  test.each([
    ['label=disable'],
    ['label:disable'],
    ['disable'],
  ])('%s disables labelling', (opt) => {
    const result = securityOptions({ SecurityOpt: [opt] });
    expect(result.labelDisabled).toBe(true);
    expect(result.labelOpts).toEqual(['disable']);
  });

  test('the legacy colon form reads like the = form', () => {
    expect(securityOptions({ SecurityOpt: ['apparmor:p', 'seccomp:s'] })).toMatchObject({ apparmorProfile: 'p', seccompProfile: 's' });
  });

  test('= separates before : when both appear', () => {
    expect(securityOptions({ SecurityOpt: ['label=level:s0:c1'] }).labelOpts).toEqual(['level:s0:c1']);
  });

  test.each([
    ['no-new-privileges=true', true],
    ['no-new-privileges=1', true],
    ['no-new-privileges=T', true],
    ['no-new-privileges=false', false],
    ['no-new-privileges=0', false],
    ['no-new-privileges=False', false],
  ])('%s parses as Go booleans do', (opt, expected) => {
    expect(securityOptions({ SecurityOpt: ['no-new-privileges', opt] }).noNewPrivileges).toBe(expected);
  });

  test.each([
    [['foo'], 'invalid --security-opt 1: "foo"'],
    [['foo=bar'], 'invalid --security-opt 2: "foo=bar"'],
    [['no-new-privileges=maybe'], 'invalid --security-opt 2: "no-new-privileges=maybe"'],
    [['systempaths=unconfined'], 'invalid --security-opt 2: "systempaths=unconfined"'],
  ])('%j is refused with Docker\'s text', (opts, message) => {
    const err = refusal(opts);
    expect(err.code).toBe('EINVAL');
    expect(err.message).toBe(message);
  });

  test.each([
    ['IpcMode host', { IpcMode: 'host' }],
    ['PidMode host', { PidMode: 'host' }],
    ['Privileged', { Privileged: true }],
  ])('%s implies label=disable', (_name, hostConfig) => {
    const result = securityOptions(hostConfig);
    expect(result.labelDisabled).toBe(true);
    expect(result.labelOpts).toEqual(['disable']);
  });

  test('an explicit disable is not repeated for a host namespace', () => {
    expect(securityOptions({ IpcMode: 'host', SecurityOpt: ['label=disable'] }).labelOpts).toEqual(['disable']);
  });

  test('a private IPC namespace leaves labelling on', () => {
    expect(securityOptions({ IpcMode: 'private', PidMode: 'container:x' }).labelDisabled).toBe(false);
  });
});

describe('goQuote', () => {
  test.each([
    ['plain', '"plain"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['tab\tnew\nline', '"tab\\tnew\\nline"'],
    ['\x01\x7f', '"\\x01\\x7f"'],
    ['\u0085', '"\\u0085"'],
    ['héllo ✓', '"héllo ✓"'],
  ])('%j quotes as Go %%q does', (text, quoted) => {
    expect(goQuote(text)).toBe(quoted);
  });
});
