#!/usr/bin/env node
// The `berth` executable.
// A create spends most of its time blocked in the kernel (fsync, mount, mkdir)
// on libuv's threadpool; its default of 4 threads would queue concurrent
// creates behind one another. Set before anything touches the pool.
process.env.UV_THREADPOOL_SIZE ??= '16';
import { runCli } from './program';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`berth: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
