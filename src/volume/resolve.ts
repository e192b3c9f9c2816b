// A path inside a container's root filesystem, resolved as the container
// would see it, with the root acting as "/": symlinks are followed one
// component at a time, absolute targets restart at the root and ".." stops
// there. The image is untrusted: whatever its links say, the answer stays
// at or under the root.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** A link loop in a hostile image ends in ELOOP instead of a hang (securejoin's bound, which dockerd uses here). */
const maxLinksFollowed = 255;

function loopError(unsafePath: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`ELOOP: too many levels of symbolic links, resolve '${unsafePath}'`);
  err.code = 'ELOOP';
  err.errno = -40;
  err.path = unsafePath;
  return err;
}

/** The components of `p`, in order; empty ones and "." dropped. */
function componentsOf(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * The host path of `unsafePath` seen from inside `root`. Components that do
 * not exist (or lie under a non-directory) are taken as they are written.
 * Throws ELOOP after 255 links.
 */
export async function resolveInRoot(root: string, unsafePath: string): Promise<string> {
  const cleanRoot = path.resolve(root);
  // What has been resolved so far: components under the root, none a symlink.
  const resolved: string[] = [];
  // Components still to walk, the next one last.
  const pending = componentsOf(unsafePath).reverse();
  let linksFollowed = 0;

  while (pending.length > 0) {
    const component = pending.pop() as string;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(cleanRoot, ...resolved, component);
    let isLink: boolean;
    try {
      isLink = (await fs.lstat(candidate)).isSymbolicLink();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      isLink = false;
    }
    if (!isLink) {
      resolved.push(component);
      continue;
    }
    if (++linksFollowed > maxLinksFollowed) throw loopError(unsafePath);
    const target = await fs.readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.push(...componentsOf(target).reverse());
  }
  return path.join(cleanRoot, ...resolved);
}
