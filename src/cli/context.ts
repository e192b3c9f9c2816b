// What every command shares within one run: the IO, the engine (opened on
// first use, closed at the end), the exit status, and the way failures are
// printed.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Backend } from './backend';
import { CliError, errorText, exitCodeOf } from './errors';
import { HttpBackend } from './http-backend';
import type { BackendTarget, CliIo } from './io';

export class CommandContext {
  exitCode = 0;
  private opened: Promise<Backend> | undefined;
  private interruption: { controller: AbortController; remove: () => void } | undefined;

  constructor(
    readonly io: CliIo,
    /** Where the engine is, as the global options and environment say. */
    readonly target: () => BackendTarget,
  ) {}

  get cwd(): string {
    return this.io.cwd ?? process.cwd();
  }

  now(): number {
    return this.io.now?.() ?? Date.now();
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  /** A path as the user meant it: relative to the run's directory. */
  resolvePath(p: string): string {
    return path.resolve(this.cwd, p);
  }

  /** Reads a file the user named, failing as Go's os.Open does (`open x: no such file or directory`). */
  readUserFile(p: string): string {
    try {
      return readFileSync(this.resolvePath(p), 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason: Record<string, string> = {
        ENOENT: 'no such file or directory',
        EACCES: 'permission denied',
        EISDIR: 'is a directory',
      };
      throw new Error(`open ${p}: ${reason[err.code ?? ''] ?? err.message}`);
    }
  }

  /** The engine for this run: opened (or connected and pinged) once, on first use. */
  backend(): Promise<Backend> {
    this.opened ??= (async () => {
      const target = this.target();
      if (this.io.openBackend) return this.io.openBackend(target);
      if (target.kind === 'daemon') {
        const backend = new HttpBackend(target.host);
        await backend.ping();
        return backend;
      }
      // Loaded on demand: a client run has no use for the engine and its addon.
      const { EmbeddedBackend } = await import('./embedded-backend');
      const opened = await EmbeddedBackend.open({
        root: target.root,
        storageDriver: target.storageDriver,
        onWarning: (m) => this.err(`WARNING: ${m}\n`),
      }).catch((e: unknown) => {
        if ((e as { name?: unknown }).name === 'EngineLockedError') {
          throw new CliError(`${(e as Error).message}; if a berth daemon owns it, talk to the daemon with -H unix:///path.sock`);
        }
        throw e;
      });
      return opened;
    })();
    return this.opened;
  }

  /** Aborts when the user interrupts the run (SIGINT/SIGTERM, or the test's signal). */
  interrupted(): AbortSignal {
    if (this.io.signal) return this.io.signal;
    if (this.interruption === undefined) {
      const controller = new AbortController();
      const onSignal = (): void => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      this.interruption = {
        controller,
        remove: () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        },
      };
    }
    return this.interruption.controller.signal;
  }

  /** Prints a failure and records the exit status (`usual` unless the error says otherwise). */
  fail(e: unknown, usual: number): void {
    this.err(`${errorText(e)}\n`);
    this.exitCode = exitCodeOf(e, usual);
  }

  /** Wraps a command's action: failures print and set the status instead of throwing. */
  action<A extends unknown[]>(usualExit: number, work: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
    return async (...args: A) => {
      try {
        await work(...args);
      } catch (e) {
        this.fail(e, usualExit);
      }
    };
  }

  async close(): Promise<void> {
    this.interruption?.remove();
    const opened = this.opened;
    this.opened = undefined;
    if (opened === undefined) return;
    const backend = await opened.catch(() => undefined);
    await backend?.close();
  }
}
