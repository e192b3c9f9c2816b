// A pull with docker's progress display, shared by `pull` (progress on
// stdout) and `create` (progress on stderr, so stdout carries only the ID).
import type { Backend } from './backend';
import type { OutputStream } from './io';
import { pullProgress } from './progress';

export interface PullDisplay {
  /** Where progress goes; nothing is shown when absent (quiet). */
  out?: OutputStream;
  terminal: boolean;
}

export async function pullShowingProgress(backend: Backend, reference: string, platform: string | undefined, display: PullDisplay): Promise<void> {
  const sink = display.out ? pullProgress(display.out, display.terminal) : undefined;
  try {
    await backend.pullImage(reference, { ...(platform ? { platform } : {}) }, (m) => sink?.write(m));
  } finally {
    sink?.finish();
  }
}
