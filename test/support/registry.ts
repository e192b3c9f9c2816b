// The tests' registry is the benchmarks' (scripts/bench/registry.ts), each in
// a temp dir of its own that stop() removes: named berth-test-* so that the
// global teardown reports one a test forgot to stop.
import { mkdtempSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { type LocalRegistry, type RegistryOptions, startRegistry as startIn } from '../../scripts/bench/registry';

export {
  blobDataPath,
  htpasswdLine,
  inspectDigest,
  pushOciLayout,
  registryMissing as registrySkipReason,
  type Credentials,
} from '../../scripts/bench/registry';

export type TestRegistry = LocalRegistry;

/** Starts a registry and waits until `GET /v2/` answers; stop() also removes its files. */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-test-registry-'));
  let registry: LocalRegistry;
  try {
    registry = await startIn(dir, options);
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
  let stopped = false;
  return {
    host: registry.host,
    storageDir: registry.storageDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await registry.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
