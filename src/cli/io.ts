// What a CLI run reads and writes, passed in so that tests can run the CLI
// in-process with their own streams, environment and engine.
import type { Readable } from 'node:stream';
import type { Backend } from './backend';
import type { Environment } from './env-flags';

export interface OutputStream {
  write(chunk: string): unknown;
}

/** Where the commands' engine is: a root to open here, or a daemon's address. */
export type BackendTarget =
  | { kind: 'embedded'; root: string; storageDriver?: 'overlay2' | 'aufs' | 'vfs' }
  | { kind: 'daemon'; host: string };

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: Readable;
  env: Environment;
  /** Whether stderr (and stdout) is a terminal: progress bars rather than plain lines. */
  isTTY: boolean;
  /** Whether stdin is a terminal (`load` will not read an archive from one). */
  stdinIsTTY?: boolean;
  /** The directory relative paths are resolved against. */
  cwd?: string;
  /** Aborts when the user interrupts a command that waits (events, an embedded mount, the daemon). */
  signal?: AbortSignal;
  /** Opens the engine the commands use (tests may pass a fake). */
  openBackend?: (target: BackendTarget) => Promise<Backend>;
  /** The clock for "2 hours ago" (milliseconds since the epoch). */
  now?: () => number;
}

/** The process's own streams, environment and terminals. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    cwd: process.cwd(),
  };
}
