// How a failed command ends: what it prints and its exit status, following
// the docker CLI (125 for a create that failed or a flag it could not read,
// 1 for other commands' failures).
import { BackendError } from './backend';

/** A failure the client itself decided, printed as it is. */
export class CliError extends Error {
  constructor(
    message: string,
    /** The exit status, when it is not the command's usual one. */
    readonly exitCode?: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A flag or argument the client refuses: `berth: <msg>` and a pointer to the help; exit 125. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message, 125);
    this.name = 'UsageError';
  }
}

/** The client could not reach the daemon at all. */
export class ConnectionError extends CliError {
  constructor(host: string, cause: string) {
    super(`Cannot connect to the berth daemon at ${host}. Is the berth daemon running? (${cause})`);
    this.name = 'ConnectionError';
  }
}

/** Docker's exit status for a `create`/`run` that failed before the container existed. */
export const CREATE_FAILED = 125;

/** The text a failure prints on stderr (without the newline). */
export function errorText(e: unknown): string {
  if (e instanceof BackendError) return `Error response from daemon: ${e.message}`;
  if (e instanceof UsageError) return `berth: ${e.message}\nSee 'berth ${e.command} --help'.`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The exit status of a failure in a command whose failures usually exit `usual`. */
export function exitCodeOf(e: unknown, usual: number): number {
  return e instanceof CliError && e.exitCode !== undefined ? e.exitCode : usual;
}
