// What the CLI integration tests share: running `berth` in-process with
// captured output, and a busybox image as a `docker save` archive and as an
// OCI layout to push to a registry.
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { CliIo } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/program';
import { type BuiltImage, busyboxEntries, buildImage, layerTar, writeDockerSave, writeOciLayout } from '../../support/image-fixtures';
import { Capture } from './fake-backend';

export interface BerthRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `berth <argv>` in this process, on the real engine or daemon the arguments name. */
export async function berth(argv: string[], io: Partial<CliIo> = {}): Promise<BerthRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, {
    stdout,
    stderr,
    stdin: Readable.from([]),
    env: {},
    isTTY: false,
    stdinIsTTY: false,
    ...io,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Like berth(), but fails the test with the CLI's stderr unless it exits 0; returns stdout. */
export async function berthOk(argv: string[], io: Partial<CliIo> = {}): Promise<string> {
  const run = await berth(argv, io);
  if (run.code !== 0) throw new Error(`berth ${argv.join(' ')} exited ${run.code}: ${run.stderr.trim() || run.stdout.trim()}`);
  return run.stdout;
}

export interface BusyboxFiles {
  image: BuiltImage;
  /** `docker save` archive tagged busybox:latest. */
  archive: string;
  /** OCI layout of the same image. */
  layout: string;
}

export async function writeBusyboxFiles(dir: string): Promise<BusyboxFiles> {
  const layers = [await layerTar(busyboxEntries())];
  const image = buildImage({
    layers,
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Volumes: { '/cache': {} } },
  });
  const archive = path.join(dir, 'busybox.tar');
  const layout = path.join(dir, 'busybox-oci');
  await writeDockerSave(archive, image, ['busybox:latest'], layers);
  await writeOciLayout(layout, image);
  return { image, archive, layout };
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function waitFor(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
