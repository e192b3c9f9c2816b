// The `X-Registry-Auth` header: base64url JSON of Docker's AuthConfig.
import { invalidParameter } from '../errors';

export interface RegistryCredentials {
  username?: string;
  password?: string;
}

/**
 * Credentials for a pull. An absent or empty header means anonymous; `auth`
 * (base64 `user:password`) stands in for username and password, as Docker
 * reads it. Token fields have no use for berth's registry client and are ignored.
 */
export function decodeRegistryAuth(header: string | undefined): RegistryCredentials {
  if (header === undefined || header.trim() === '') return {};
  let config: unknown;
  try {
    // Node's base64url decoder takes padded and unpadded input, and the standard alphabet too.
    config = JSON.parse(Buffer.from(header.trim(), 'base64url').toString('utf8'));
  } catch (e) {
    throw invalidParameter(`invalid X-Registry-Auth header: ${(e as Error).message}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw invalidParameter('invalid X-Registry-Auth header: not a JSON object');
  }
  const fields = config as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof fields[key] === 'string' && fields[key] !== '' ? (fields[key] as string) : undefined);
  let username = text('username');
  let password = text('password');
  const auth = text('auth');
  if (username === undefined && password === undefined && auth !== undefined) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidParameter('invalid X-Registry-Auth header: auth is not base64 of user:password');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  return { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

/** What a client sends: the header for `credentials` (for tests and the CLI's client). */
export function encodeRegistryAuth(credentials: RegistryCredentials): string {
  return Buffer.from(JSON.stringify(credentials)).toString('base64url');
}
