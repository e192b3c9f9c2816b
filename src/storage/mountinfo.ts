// Reads /proc/self/mountinfo: which paths are mount points, and of what.
import { readFile } from 'node:fs/promises';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
  options: string;
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0) continue;
    entries.push({
      mountPoint: unescape(fields[4]),
      fsType: fields[sep + 1],
      source: unescape(fields[sep + 2] ?? ''),
      options: fields[sep + 3] ?? '',
    });
  }
  return entries;
}

export async function readMounts(): Promise<MountEntry[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Mount points at or under `dir`, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<MountEntry[]> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const found = (await readMounts()).filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(prefix));
  return found.sort((a, b) => b.mountPoint.length - a.mountPoint.length);
}
