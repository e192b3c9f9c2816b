// What every benchmark does around its measurements: options, signals, child
// processes, and a temp root that is unmounted and removed however the run ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { MNT_DETACH, umount } from '../../src/native';
import { mountsUnder } from '../../src/storage/mountinfo';

const TEMP_PREFIX = 'berth-bench-';
/** For usage texts. */
export const TEMP_ROOTS = path.join(os.tmpdir(), `${TEMP_PREFIX}*`);

export const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class UsageError extends Error {}

export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/**
 * Walks `--flag value` and `--flag=value` options, handing each to `take`,
 * which reads the value (if the flag has one) and returns false for a flag it
 * does not know.
 */
export function parseFlags(args: readonly string[], take: (flag: string, value: () => string) => boolean): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    const inline = arg.startsWith('--') && eq > 0;
    const flag = inline ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (inline) return arg.slice(eq + 1);
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (!take(flag, value)) throw new UsageError(`unknown option: ${arg}`);
  }
}

export function positiveInt(flag: string, value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError(`${flag} must be a positive integer, not ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * Signals only raise a flag (and end the short-lived children in flight): the
 * run stops at its next step and the normal cleanup path stops what it
 * started, unmounts and removes everything, whatever was in flight.
 */
export class StopSignal {
  signal: NodeJS.Signals | null = null;
  readonly children = new Set<ChildProcess>();
  private readonly handler = (signal: NodeJS.Signals): void => {
    if (this.signal !== null) {
      log(`${signal}: still cleaning up, please wait`);
      return;
    }
    this.signal = signal;
    log(`${signal}: stopping, cleaning up`);
    for (const child of this.children) child.kill('SIGTERM');
  };
  private static readonly SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

  install(): void {
    for (const s of StopSignal.SIGNALS) process.on(s, this.handler);
  }
  uninstall(): void {
    for (const s of StopSignal.SIGNALS) process.off(s, this.handler);
  }
  check(): void {
    if (this.signal !== null) throw new Interrupted(this.signal);
  }
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a short-lived command to its end, all its output kept, for a signal to end early. */
export function runProcess(command: string, args: string[], stop: StopSignal, env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    stop.children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      stop.children.delete(child);
      reject(err);
    });
    child.on('close', (code, signal) => {
      stop.children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Removes a tree unless something is still mounted in it (a recursive rm would delete through the mount). */
export async function removeTree(dir: string): Promise<void> {
  for (const m of await mountsUnder(dir)) {
    try {
      await umount(m.mountPoint, MNT_DETACH);
    } catch (err) {
      log(`cleanup: umount ${m.mountPoint}: ${errorText(err)}`);
    }
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) {
    throw new Error(`still mounted, ${dir} left in place:\n${left.map((m) => `  ${m.mountPoint}`).join('\n')}`);
  }
  await rm(dir, { recursive: true, force: true });
}

export interface BenchContext {
  /** Resolved, as mountinfo reports paths and the final sweep matches on them. */
  readonly tmp: string;
  readonly stop: StopSignal;
  /**
   * The storage driver in use, closed before the temp root is swept. Its
   * failure to close is only logged: the sweep unmounts whatever it left.
   */
  driver: { cleanup(): Promise<void> } | null;
  /**
   * Runs `fn` once the run ends, however it ends, last registered first and
   * before the temp root goes; a failure there fails the exit code.
   */
  atCleanup(what: string, fn: () => Promise<void>): void;
}

export interface Bench<Options, Result> {
  /** Prefixes its messages. */
  name: string;
  usage: string;
  /** Throws UsageError on a bad command line. */
  parseArgs(args: string[]): Options;
  /** Why it cannot run here (not root, a tool missing), or null when it can. */
  unmet(): string | null;
  run(options: Options, ctx: BenchContext): Promise<Result>;
  report(options: Options, result: Result): void;
}

export function notRoot(why: string): string | null {
  return process.getuid?.() !== 0 ? `must run as root (${why})` : null;
}

/** A benchmark's whole life: its exit code is the process's. */
export async function runBench<Options, Result>(bench: Bench<Options, Result>, args: string[]): Promise<number> {
  let options: Options;
  try {
    options = bench.parseArgs(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${bench.name}: ${err.message}\n${bench.usage}`);
      return 2;
    }
    throw err;
  }
  const unmet = bench.unmet();
  if (unmet !== null) {
    log(`${bench.name}: ${unmet}`);
    return 1;
  }

  // `... | head` closes the pipe early: a write error must not end the process mid-run.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const stop = new StopSignal();
  stop.install();
  const cleanups: Array<{ what: string; fn: () => Promise<void> }> = [];
  const ctx: BenchContext = {
    tmp: await realpath(await mkdtemp(path.join(os.tmpdir(), TEMP_PREFIX))),
    stop,
    driver: null,
    atCleanup: (what, fn) => {
      cleanups.unshift({ what, fn });
    },
  };
  let code = 0;
  let finished: { result: Result } | null = null;
  try {
    finished = { result: await bench.run(options, ctx) };
  } catch (err) {
    if (err instanceof Interrupted) {
      code = 128 + (os.constants.signals[err.signal] ?? 0);
    } else {
      log(`${bench.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      code = 1;
    }
  } finally {
    for (const { what, fn } of cleanups) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup: ${what}: ${errorText(err)}`);
        code = code || 1;
      }
    }
    try {
      if (ctx.driver !== null) await ctx.driver.cleanup();
    } catch (err) {
      log(`cleanup: driver: ${errorText(err)}`);
    }
    try {
      await removeTree(ctx.tmp);
    } catch (err) {
      log(`cleanup: ${errorText(err)} (${ctx.tmp} may be left behind)`);
      code = code || 1;
    }
    stop.uninstall();
  }
  // Printed only once everything is stopped, unmounted and removed, so that a
  // reader closing the pipe early cannot cut the cleanup short.
  if (finished !== null) bench.report(options, finished.result);
  return code;
}
