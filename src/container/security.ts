// HostConfig.SecurityOpt, read as Docker reads it at create: `label=...`
// (SELinux), `apparmor=`, `seccomp=`, `no-new-privileges[=bool]`, plus the
// legacy `key:value` spelling older clients still send.
import { invalidParameter } from '../errors';
import type { HostConfig } from './types';

export interface SecurityOptions {
  /** SELinux labelling is off for the container (`label=disable`). */
  labelDisabled: boolean;
  noNewPrivileges: boolean;
  /** '' means the engine's default profile. */
  apparmorProfile: string;
  /** '' means the engine's default profile; `unconfined` turns seccomp off. */
  seccompProfile: string;
  /** Every `label=` value, in order (`disable`, `user:x`, `type:y`, ...). */
  labelOpts: string[];
}

/** Go's strconv.ParseBool. */
const GO_BOOLS: Record<string, boolean> = {
  1: true, t: true, T: true, TRUE: true, true: true, True: true,
  0: false, f: false, F: false, FALSE: false, false: false, False: false,
};

export function securityOptions(hostConfig: HostConfig): SecurityOptions {
  const result: SecurityOptions = {
    labelDisabled: false,
    noNewPrivileges: false,
    apparmorProfile: '',
    seccompProfile: '',
    labelOpts: [],
  };
  for (const opt of hostConfig.SecurityOpt ?? []) {
    if (opt === 'no-new-privileges') {
      result.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') {
      result.labelOpts.push('disable');
      continue;
    }
    // `=` wins when both appear: a label value may itself hold colons.
    const separator = opt.includes('=') ? '=' : opt.includes(':') ? ':' : undefined;
    if (separator === undefined) throw invalidParameter(`invalid --security-opt 1: ${goQuote(opt)}`);
    const at = opt.indexOf(separator);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    switch (key) {
      case 'label':
        result.labelOpts.push(value);
        break;
      case 'apparmor':
        result.apparmorProfile = value;
        break;
      case 'seccomp':
        result.seccompProfile = value;
        break;
      case 'no-new-privileges': {
        const parsed = GO_BOOLS[value];
        if (parsed === undefined) throw invalidParameter(`invalid --security-opt 2: ${goQuote(opt)}`);
        result.noNewPrivileges = parsed;
        break;
      }
      // `systempaths=unconfined` is the docker CLI's: it clears MaskedPaths
      // and ReadonlyPaths and never reaches the daemon, which refuses it.
      default:
        throw invalidParameter(`invalid --security-opt 2: ${goQuote(opt)}`);
    }
  }
  // Sharing the host's IPC or PID namespace (or running privileged) cannot
  // work under a confining SELinux label, so Docker turns labelling off.
  const sharesHost = hostConfig.IpcMode === 'host' || hostConfig.PidMode === 'host' || hostConfig.Privileged === true;
  if (sharesHost && !result.labelOpts.includes('disable')) result.labelOpts.push('disable');
  result.labelDisabled = result.labelOpts.includes('disable');
  return result;
}

const GO_ESCAPES: Record<string, string> = {
  '"': '\\"', '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v',
};

/** Go's `%q`, so that error texts quote values exactly as Docker's do. */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const escape = GO_ESCAPES[char];
    if (escape !== undefined) out += escape;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code <= 0x9f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}
