// The layer applier: one pass over a layer tar (plain or gzip) that writes
// its entries into a layer's diff directory and hashes the uncompressed bytes
// for the DiffID on the way. Every write goes through the native batch, whose
// paths resolve inside the diff (openat2 RESOLVE_IN_ROOT), so a hostile tar's
// `..`, absolute names and symlinks can never place anything outside it; the
// lexical checks here exist to refuse such archives loudly, not to contain them.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import * as native from '../native';
import type { BatchOp } from '../native';
import type { GraphDriver, WhiteoutFormat } from '../storage/driver';
import { OPAQUE_MARKER, WHITEOUT_PREFIX, opaqueOps, whiteoutOps } from '../storage/whiteout';
import { decompressed } from './compression';

export interface ApplyLayerOptions {
  /** The DiffID the image config promises; a mismatch rejects with Docker's "invalid diffID for layer". */
  expectedDiffId?: string;
}

export interface ApplyLayerResult {
  /** `sha256:` of the uncompressed tar. */
  diffId: string;
  /** Sum of the regular files' sizes, as Docker reports a layer's size. */
  size: number;
}

/** Why a layer was refused: a hostile or malformed archive, or a wrong digest. */
export class LayerApplyError extends Error {
  constructor(
    message: string,
    readonly code: 'EINVAL' | 'EDIGEST',
  ) {
    super(message);
    this.name = 'LayerApplyError';
  }
}

// Files up to this size travel inside a batch op; bigger ones are streamed to
// an fd so that a layer never sits in memory whole.
const INLINE_FILE_MAX = 1024 * 1024;
const BATCH_MAX_OPS = 256;
const BATCH_MAX_BYTES = 4 * 1024 * 1024;
const MAX_ID = 0xfffffffe; // (uid_t)-1 means "leave unchanged" to chown(2)

const S_IFCHR = native.S_IFCHR;
const S_IFBLK = native.S_IFBLK;
const S_IFIFO = native.S_IFIFO;
const XATTR_PREFIX = 'SCHILY.xattr.';

type TarHeader = tar.Header;
type TarEntry = tar.ExtractEvents['entry'][1];
type Time = [seconds: number, nanoseconds: number];

/**
 * Streams a layer tar into `driver.diffPath(layerId)` and returns its DiffID
 * and size. On any failure it rejects once no write is in flight any more; the
 * caller removes the layer (nothing is rolled back here).
 */
export async function applyLayer(
  driver: GraphDriver,
  layerId: string,
  input: Readable,
  options: ApplyLayerOptions = {},
): Promise<ApplyLayerResult> {
  const extract = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
  const rawXattrs = captureRawXattrs(extract);
  let applier: Applier;
  let stages: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream>;
  try {
    applier = await Applier.open(driver, layerId, rawXattrs);
    stages = await decompressed(input);
  } catch (e) {
    input.destroy();
    throw e;
  }
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  // The extractor emits entries as events: whoever listens must be there
  // before the first bytes flow, or the first entry is lost and parsing stalls.
  const entries = extract[Symbol.asyncIterator]();
  const piping = pipeline([...stages, hasher, extract as unknown as NodeJS.WritableStream]);
  // Observed below; without this a parse error racing the entry loop would be "unhandled".
  piping.catch(() => undefined);

  try {
    for (let next = await entries.next(); !next.done; next = await entries.next()) await applier.entry(next.value);
    await piping;
    await applier.finish();
  } catch (e) {
    await entries.return?.().catch(() => undefined);
    input.destroy();
    for (const stage of stages) (stage as Readable).destroy();
    extract.destroy();
    const streamError = await piping.then(
      () => null,
      (err: unknown) => err,
    );
    // The caller deletes the layer on rejection: no batch may still be writing into it then.
    await applier.settle();
    // A failed entry closes the pipeline early: report the entry's error, not "Premature close".
    throw isPrematureClose(e) && streamError !== null ? streamError : e;
  }
  const diffId = `sha256:${hash.digest('hex')}`;
  if (options.expectedDiffId !== undefined && options.expectedDiffId !== diffId) {
    throw new LayerApplyError(
      `invalid diffID for layer ${layerId}: expected ${JSON.stringify(options.expectedDiffId)}, got ${JSON.stringify(diffId)}`,
      'EDIGEST',
    );
  }
  return { diffId, size: applier.size };
}

function isPrematureClose(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}

// ---------------------------------------------------------------------------
// PAX xattrs. tar-stream decodes PAX values as UTF-8 strings, which mangles
// binary values such as security.capability (v2 caps hold bytes >= 0x80).
// The extractor is asked, per instance, to hand over the raw record bytes too;
// if its internals ever change, the decoded strings are used instead.

interface ExtractInternals {
  _header: { type: string | null } | null;
  _pax: object | null;
  _decodeLongHeader(buf: Buffer): void;
}

type RawXattrs = WeakMap<object, Map<string, Buffer>>;

function captureRawXattrs(extract: tar.Extract): RawXattrs {
  const raw: RawXattrs = new WeakMap();
  const internals = extract as unknown as Partial<ExtractInternals>;
  const decode = internals._decodeLongHeader;
  if (typeof decode !== 'function') return raw;
  internals._decodeLongHeader = function (this: ExtractInternals, buf: Buffer): void {
    decode.call(this, buf);
    if (this._header?.type === 'pax-header' && this._pax !== null && typeof this._pax === 'object') {
      const xattrs = parsePaxXattrs(buf);
      if (xattrs.size > 0) raw.set(this._pax, xattrs);
    }
  };
  return raw;
}

/** `SCHILY.xattr.*` records of a PAX header block ("<len> <key>=<value>\n"), values as raw bytes. */
function parsePaxXattrs(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let offset = 0;
  while (offset < buf.length) {
    const space = buf.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number.parseInt(buf.toString('latin1', offset, space), 10);
    if (!Number.isSafeInteger(length) || length <= space - offset + 1 || offset + length > buf.length) break;
    const record = buf.subarray(space + 1, offset + length - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq > 0) {
      const key = record.toString('utf8', 0, eq);
      if (key.startsWith(XATTR_PREFIX)) out.set(key.slice(XATTR_PREFIX.length), Buffer.from(record.subarray(eq + 1)));
    }
    offset += length;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Names.

function refuse(entryName: string, why: string): LayerApplyError {
  return new LayerApplyError(`invalid layer entry ${JSON.stringify(entryName)}: ${why}`, 'EINVAL');
}

// An empty, "." or ".." component; names without one (after "./" and a
// trailing "/" are dropped) are already clean.
const UNCLEAN_COMPONENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** A tar name as an absolute path in the layer ('/' for the layer root); refuses what would climb out. */
function cleanName(name: string, entryName: string, what = 'path'): string {
  let bare = name.startsWith('./') ? name.slice(2) : name;
  if (bare.endsWith('/')) bare = bare.slice(0, -1);
  if (bare !== '' && !UNCLEAN_COMPONENT.test(bare) && !bare.includes('\0')) return `/${bare}`;
  if (name.includes('\0')) throw refuse(entryName, `${what} contains a NUL byte`);
  if (name.startsWith('/')) throw refuse(entryName, `${what} is absolute`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse(entryName, `${what} leads out of the layer ("..")`);
  return `/${parts.join('/')}`;
}

const parentOf = (p: string): string => {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
};
const baseOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const join = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

// ---------------------------------------------------------------------------
// Header fields that tar-stream leaves to PAX records.

function paxRecords(h: TarHeader): Record<string, string> {
  const pax = h.pax;
  return typeof pax === 'object' && pax !== null ? (pax as Record<string, string>) : {};
}

function owner(h: TarHeader, pax: Record<string, string>): { uid: number; gid: number } {
  const uid = pax.uid !== undefined ? Number(pax.uid) : h.uid;
  const gid = pax.gid !== undefined ? Number(pax.gid) : h.gid;
  for (const [what, id] of [
    ['uid', uid],
    ['gid', gid],
  ] as const) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw refuse(h.name, `invalid ${what} ${String(id)}`);
  }
  return { uid, gid };
}

/** PAX times carry nanoseconds ("1700000000.123456789"); the ustar field only seconds. */
function paxTime(value: string | undefined): Time | null {
  if (value === undefined) return null;
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(value);
  if (!m) return null;
  let sec = Number(m[2]);
  let nsec = Number((m[3] ?? '').padEnd(9, '0').slice(0, 9));
  if (m[1] === '-') {
    sec = -sec;
    if (nsec > 0) {
      sec -= 1;
      nsec = 1e9 - nsec;
    }
  }
  return Number.isSafeInteger(sec) ? [sec, nsec] : null;
}

function times(h: TarHeader, pax: Record<string, string>): { mtime: Time; atime: Time } {
  const ms = h.mtime instanceof Date ? h.mtime.getTime() : 0;
  const mtime = paxTime(pax.mtime) ?? [Math.floor(ms / 1000), 0];
  // Docker sets the access time to the modification time when the archive has none.
  const atime = paxTime(pax.atime) ?? mtime;
  return { mtime, atime };
}

/**
 * Which xattrs of an entry are written. security.capability is kept (images
 * rely on file capabilities, as with Docker); other security.* (SELinux,
 * Smack, IMA/EVM labels) are host policy, not image content; trusted.overlay.*
 * would let a tar forge overlay metadata (opaque, redirect, metacopy) that only
 * whiteout entries may express; user.* exists only on files and directories.
 */
function keepXattr(name: string, isFileOrDir: boolean): boolean {
  if (name.startsWith('security.')) return name === 'security.capability';
  if (name.startsWith('trusted.overlay.')) return false;
  if (name === 'system.nfs4_acl') return false;
  if (name.startsWith('user.')) return isFileOrDir;
  return name.length > 0;
}

// ---------------------------------------------------------------------------
// Content.

async function readAll(entry: TarEntry, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
  }
  if (length !== size) throw new Error(`short read: ${length} of ${size} bytes`);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
}

async function discard(entry: TarEntry): Promise<void> {
  // A directory never has data (its size field is ignored, as Go's reader
  // ignores it), and tar-stream never ends the stream of one whose size is not 0.
  if (entry.header.type === 'directory') return;
  for await (const _ of entry as AsyncIterable<Buffer>) {
    // Draining keeps the parser moving to the next header.
  }
}

function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number): void => {
      fs.write(fd, buf, offset, buf.length - offset, null, (err, written) => {
        if (err) reject(err);
        else if (offset + written < buf.length) step(offset + written);
        else resolve();
      });
    };
    step(0);
  });
}

const closeFd = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));

/** Streams an entry to an fd, gathering the parser's small chunks into large writes. */
async function streamToFd(entry: TarEntry, fd: number, size: number): Promise<void> {
  const WRITE_CHUNK = 1024 * 1024;
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let total = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    pending.push(chunk);
    pendingLength += chunk.length;
    total += chunk.length;
    if (pendingLength >= WRITE_CHUNK) {
      await writeAll(fd, Buffer.concat(pending, pendingLength));
      pending = [];
      pendingLength = 0;
    }
  }
  if (pendingLength > 0) await writeAll(fd, Buffer.concat(pending, pendingLength));
  if (total !== size) throw new Error(`short read: ${total} of ${size} bytes`);
}

// ---------------------------------------------------------------------------
// The applier: turns entries into batch ops, keeping just enough bookkeeping
// to know, without a syscall, whether a path already exists in the diff.

/**
 * What this apply put at a path: a directory from a tar entry, a directory
 * made as a parent (which, when the diff holds lower content or symlinks made
 * by this layer, may also be a symlink to one), anything else, or an overlay
 * whiteout device.
 */
type Kind = 'dir' | 'implicit' | 'other' | 'whiteout';

interface DirAttrs {
  mode: number;
  uid: number;
  gid: number;
}

class Applier {
  size = 0;

  // Two queues, so that two worker threads share the work: ops that make
  // entries run in order, one batch at a time; the attributes of those entries
  // (xattrs, times) follow in their own batch, beside the next batch of creates.
  private ops: BatchOp[] = [];
  private attrOps: BatchOp[] = [];
  private opBytes = 0;
  private createFlight: Promise<void> = Promise.resolve();
  private attrFlight: Promise<void> = Promise.resolve();
  private attrFlightBefore: Promise<void> = Promise.resolve();
  /** The next create batch removes an entry whose attributes may still be in flight. */
  private barrier = false;
  private failure: { error: unknown } | null = null;

  private readonly written = new Map<string, Kind>();
  /** Paths removed by this apply: what the diff held below them is gone. */
  private readonly removed = new Set<string>();
  private readonly dirTimes = new Map<string, { atime: Time; mtime: Time }>();
  private readonly opaqueDirs = new Set<string>();
  /** Set once an entry went through a symlink this layer made: bookkeeping can no longer predict the tree. */
  private aliased = false;
  private lowers: string[] | null = null;
  /**
   * Must root-owned entries be chowned? Not when root makes them in a clean
   * diff: they are born 0:0, and chown(2) is a fifth of a small file's cost.
   * A setgid directory (its children inherit its group) or lower content ends that.
   */
  private chownAlways: boolean;

  private constructor(
    private readonly driver: GraphDriver,
    private readonly layerId: string,
    private readonly root: string,
    /** The diff's canonical path, to compare realpath() results with. */
    private readonly realRoot: string,
    private readonly format: WhiteoutFormat,
    /** The diff started non-empty (vfs: a copy of the parent): any path may already exist. */
    private readonly lowerContent: boolean,
    private readonly rawXattrs: RawXattrs,
    rootIsSetgid: boolean,
  ) {
    this.chownAlways = lowerContent || rootIsSetgid || process.geteuid?.() !== 0;
  }

  static async open(driver: GraphDriver, layerId: string, rawXattrs: RawXattrs): Promise<Applier> {
    const root = driver.diffPath(layerId);
    const realRoot = await fsp.realpath(root);
    const lowerContent = (await fsp.readdir(root)).length > 0;
    const rootIsSetgid = ((await fsp.stat(root)).mode & 0o2000) !== 0;
    return new Applier(driver, layerId, root, realRoot, driver.whiteoutFormat, lowerContent, rawXattrs, rootIsSetgid);
  }

  /** Owner fields for a create op: none where the new entry is 0:0 anyway. */
  private own(uid: number, gid: number): { uid?: number; gid?: number } {
    return uid === 0 && gid === 0 && !this.chownAlways && !this.aliased ? {} : { uid, gid };
  }

  private noteDirMode(mode: number): void {
    if ((mode & 0o2000) !== 0) this.chownAlways = true;
  }

  // --- batching -------------------------------------------------------------

  private push(op: BatchOp, bytes = 0): void {
    this.ops.push(op);
    this.opBytes += bytes;
  }

  /** An op on an entry already queued with push(): it only needs that entry to exist. */
  private pushAttr(op: BatchOp, bytes = 0): void {
    this.attrOps.push(op);
    this.opBytes += bytes;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private run(ops: BatchOp[]): Promise<void> {
    if (ops.length === 0 || this.failure) return Promise.resolve();
    return native.batch(this.root, ops).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
  }

  /**
   * Sends the queued ops. At most one create batch and two attribute batches
   * are in flight, so memory stays bounded while the parser keeps going.
   */
  private async flush(): Promise<void> {
    if (this.ops.length === 0 && this.attrOps.length === 0) return;
    const creates = this.ops;
    const attrs = this.attrOps;
    this.ops = [];
    this.attrOps = [];
    this.opBytes = 0;
    await this.createFlight;
    await (this.barrier ? this.attrFlight : this.attrFlightBefore);
    this.barrier = false;
    this.throwIfFailed();
    const created = this.run(creates);
    const previous = this.attrFlight;
    this.createFlight = created;
    this.attrFlightBefore = previous;
    this.attrFlight = attrs.length === 0 ? previous : Promise.all([created, previous]).then(() => this.run(attrs));
  }

  private async maybeFlush(): Promise<void> {
    if (this.ops.length + this.attrOps.length >= BATCH_MAX_OPS || this.opBytes >= BATCH_MAX_BYTES) await this.flush();
  }

  /** Every entry queued so far exists on disk (their attributes may still be on their way). */
  private async drainCreates(): Promise<void> {
    await this.flush();
    await this.createFlight;
    this.throwIfFailed();
  }

  /** Everything queued so far is on disk. */
  private async drain(): Promise<void> {
    await this.flush();
    await this.createFlight;
    await this.attrFlight;
    this.throwIfFailed();
  }

  /** Waits for batches still running, ignoring their outcome (the apply already failed). */
  async settle(): Promise<void> {
    await this.createFlight;
    await this.attrFlight;
  }

  async finish(): Promise<void> {
    // A directory's mtime changes with every entry made in it: set them all last.
    for (const [p, t] of this.dirTimes) this.pushAttr({ op: 'utimes', path: p, atime: t.atime, mtime: t.mtime });
    await this.drain();
  }

  // --- bookkeeping ----------------------------------------------------------

  private removedAtOrAbove(p: string): boolean {
    for (let q = p; q !== '/'; q = parentOf(q)) if (this.removed.has(q)) return true;
    return false;
  }

  private forget(p: string): void {
    const kind = this.written.get(p);
    this.written.delete(p);
    this.dirTimes.delete(p);
    this.opaqueDirs.delete(p);
    if (kind !== 'dir' && kind !== 'implicit') return;
    const prefix = `${p}/`;
    for (const key of this.written.keys()) {
      if (key.startsWith(prefix)) {
        this.written.delete(key);
        this.dirTimes.delete(key);
        this.opaqueDirs.delete(key);
      }
    }
  }

  private removeOp(p: string): void {
    if (this.written.has(p)) {
      // Attributes of what this layer put at `p` must land before it goes, not on its successor.
      this.ops.push(...this.attrOps);
      this.attrOps = [];
      this.barrier = true;
    }
    this.push({ op: 'remove', path: p });
    this.forget(p);
    this.removed.add(p);
  }

  /** The diff's own path for `p` when it is a directory reached inside the diff, else null. */
  private async hostDir(p: string, entryName: string): Promise<string | null> {
    const full = path.join(this.realRoot, p);
    let real: string;
    try {
      if (!(await fsp.lstat(full)).isDirectory()) return null;
      real = await fsp.realpath(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw e;
    }
    if (real !== this.realRoot && !real.startsWith(`${this.realRoot}/`)) {
      throw refuse(entryName, `${p} is reached through a symlink that leads out of the layer`);
    }
    return real;
  }

  /** Is a directory at `p` now (to be merged with), nothing, or something to remove first? */
  private async existing(p: string, entryName: string): Promise<'dir' | 'absent' | 'other' | 'whiteout'> {
    const kind = this.written.get(p);
    if (kind === 'dir') return 'dir';
    if (kind === 'other' || kind === 'whiteout') return kind;
    if (kind === undefined && this.removedAtOrAbove(p) && !this.aliased) return 'absent';
    if (!this.lowerContent && !this.aliased) return kind === 'implicit' ? 'dir' : 'absent';
    // Only the disk knows: what this apply made may still sit in a queued batch.
    if (kind === 'implicit' || this.aliased) await this.drainCreates();
    const full = path.join(this.realRoot, p);
    try {
      const st = await fsp.lstat(full);
      if (!st.isDirectory()) return 'other';
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'absent';
      throw e;
    }
    // A directory seen through a symlink that leaves the diff is not the one the batch would reach.
    return (await this.hostDir(p, entryName)) !== null ? 'dir' : 'other';
  }

  private async lowerDiffs(): Promise<string[]> {
    if (this.lowers === null) {
      const lowers: string[] = [];
      for (let id = await this.driver.parent(this.layerId); id !== null; id = await this.driver.parent(id)) {
        lowers.push(this.driver.diffPath(id));
      }
      this.lowers = lowers;
    }
    return this.lowers;
  }

  /**
   * Attributes for a parent directory the tar does not list. In a union the
   * upper directory's own attributes win, so a default 0755 root:root one
   * would silently change a lower /tmp (1777) or a user's home: take the
   * attributes of the directory it shadows, as containerd does.
   */
  private async lowerDirAttrs(p: string): Promise<DirAttrs> {
    const fallback = { mode: 0o755, uid: 0, gid: 0 };
    for (const lower of await this.lowerDiffs()) {
      const full = path.join(lower, p);
      let st: fs.Stats;
      try {
        st = await fsp.lstat(full);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue;
        if (code === 'ENOTDIR') return fallback;
        throw e;
      }
      if (!st.isDirectory()) return fallback; // a file, symlink or whiteout hides deeper layers
      const real = await fsp.realpath(full).catch(() => null);
      if (real !== full) return fallback; // reached through a symlink: not the directory the union shows
      return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    }
    return fallback;
  }

  /** Makes sure the directory holding `p` exists in the diff. */
  private async ensureParent(p: string): Promise<void> {
    const parent = parentOf(p);
    if (parent === '/') return;
    const known = this.written.get(parent);
    if (known === 'dir' || known === 'implicit') return;
    const parts = parent.slice(1).split('/');
    let current = '';
    for (let i = 0; i < parts.length; i++) {
      current += `/${parts[i]}`;
      const kind = this.written.get(current);
      if (kind === 'dir' || kind === 'implicit') continue;
      if (kind === 'whiteout') {
        // This layer deleted the lower entry and now puts something under it: a new, opaque directory.
        this.removeOp(current);
        this.push({ op: 'mkdir', path: current, mode: 0o755, ...this.own(0, 0) });
        this.markOpaque(current);
        this.written.set(current, 'implicit');
        continue;
      }
      if (kind === 'other' || this.lowerContent || this.format === 'none' || this.aliased) {
        // Through a symlink (resolved in the diff, as a chroot would) or over what the diff
        // already holds: let the native walk make what is missing and leave the rest alone.
        if (kind === 'other') this.aliased = true;
        this.push({ op: 'mkdir', path: parent, mode: 0o755, uid: 0, gid: 0, parents: true });
        let q = current;
        for (let j = i; j < parts.length; j++) {
          if (j > i) q += `/${parts[j]}`;
          if (!this.written.has(q)) this.written.set(q, 'implicit');
        }
        return;
      }
      const attrs = await this.lowerDirAttrs(current);
      this.push({ op: 'mkdir', path: current, mode: attrs.mode, ...this.own(attrs.uid, attrs.gid) });
      this.noteDirMode(attrs.mode);
      this.written.set(current, 'implicit');
    }
  }

  /** Frees `p` for a non-directory entry. */
  private async prepareSlot(p: string): Promise<void> {
    await this.ensureParent(p);
    if (this.written.has(p)) this.removeOp(p);
    else if (this.aliased || (this.lowerContent && !this.removedAtOrAbove(p))) this.removeOp(p);
  }

  private markOpaque(dir: string): void {
    if (this.opaqueDirs.has(dir)) return;
    this.opaqueDirs.add(dir);
    for (const op of opaqueOps(this.format, dir)) this.push(op);
  }

  // --- entries --------------------------------------------------------------

  async entry(entry: TarEntry): Promise<void> {
    const h = entry.header;
    const p = cleanName(h.name, h.name);
    const base = baseOf(p);
    const slash = p.indexOf('/', 1);
    const first = slash < 0 ? p.slice(1) : p.slice(1, slash);

    if (p === '/') {
      // Docker leaves the layer root's own attributes alone.
      if (h.type !== 'directory') throw refuse(h.name, 'the layer root can only be a directory');
      await discard(entry);
      return;
    }
    // aufs bookkeeping (/.wh..wh.plnk, /.wh..wh.aufs, /.wh..wh.orph) is no content of the image.
    if (first.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`) && p !== `/${OPAQUE_MARKER}`) {
      await discard(entry);
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const target = base.slice(WHITEOUT_PREFIX.length);
      if (target === '') throw refuse(h.name, 'a whiteout must name what it deletes (bare ".wh.")');
      if (target === '.' || target === '..') throw refuse(h.name, 'a whiteout cannot delete "." or ".."');
      if (this.format !== 'aufs') {
        await discard(entry);
        if (base === OPAQUE_MARKER) await this.opaque(parentOf(p), h.name);
        else await this.whiteout(join(parentOf(p), target), h.name);
        await this.maybeFlush();
        return;
      }
      // aufs keeps whiteouts and opaque markers as the files they are.
    }

    const pax = paxRecords(h);
    switch (h.type) {
      case 'file':
      case 'contiguous-file':
        await this.regular(p, h, pax, entry);
        break;
      case 'directory':
        await discard(entry);
        await this.directory(p, h, pax);
        break;
      case 'symlink':
        await discard(entry);
        await this.symlink(p, h, pax);
        break;
      case 'link':
        await discard(entry);
        await this.hardlink(p, h);
        break;
      case 'character-device':
      case 'block-device':
      case 'fifo':
        await discard(entry);
        await this.node(p, h, pax);
        break;
      default:
        throw refuse(h.name, `unsupported entry type ${JSON.stringify(h.type)}`);
    }
    await this.maybeFlush();
  }

  private xattrOps(p: string, h: TarHeader, pax: Record<string, string>, isFileOrDir: boolean): void {
    const raw = typeof h.pax === 'object' && h.pax !== null ? this.rawXattrs.get(h.pax) : undefined;
    for (const key of Object.keys(pax)) {
      if (!key.startsWith(XATTR_PREFIX)) continue;
      const name = key.slice(XATTR_PREFIX.length);
      if (!keepXattr(name, isFileOrDir)) continue;
      const value = raw?.get(name) ?? Buffer.from(pax[key], 'utf8');
      this.pushAttr({ op: 'setxattr', path: p, name, value }, value.length);
    }
  }

  private timeOp(p: string, h: TarHeader, pax: Record<string, string>): void {
    const { atime, mtime } = times(h, pax);
    this.pushAttr({ op: 'utimes', path: p, atime, mtime });
  }

  private async regular(p: string, h: TarHeader, pax: Record<string, string>, entry: TarEntry): Promise<void> {
    const { uid, gid } = owner(h, pax);
    const mode = h.mode & 0o7777;
    const size = h.size;
    this.size += size;
    await this.prepareSlot(p);
    if (size <= INLINE_FILE_MAX) {
      const data = await readAll(entry, size);
      this.push({ op: 'file', path: p, mode, data, ...this.own(uid, gid) }, data.length);
    } else {
      // The fd is opened in the diff, so everything queued before must exist first.
      await this.drainCreates();
      const fd = await native.openInRoot(this.root, p, mode, this.own(uid, gid));
      try {
        await streamToFd(entry, fd, size);
      } finally {
        await closeFd(fd);
      }
      // Writing may clear set-id bits where the writer lacks CAP_FSETID: set the mode again.
      if ((mode & 0o6000) !== 0) this.pushAttr({ op: 'chmod', path: p, mode });
    }
    this.written.set(p, 'other');
    // After the content: a write drops security.capability.
    this.xattrOps(p, h, pax, true);
    this.timeOp(p, h, pax);
  }

  private async directory(p: string, h: TarHeader, pax: Record<string, string>): Promise<void> {
    const { uid, gid } = owner(h, pax);
    const mode = h.mode & 0o7777;
    await this.ensureParent(p);
    const state = await this.existing(p, h.name);
    if (state === 'dir') {
      // A directory over a directory merges: the lower content stays, the attributes are the tar's.
      this.push({ op: 'chown', path: p, uid, gid });
      this.push({ op: 'chmod', path: p, mode });
    } else {
      if (state !== 'absent') this.removeOp(p);
      this.push({ op: 'mkdir', path: p, mode, ...this.own(uid, gid) });
      // Deleted from the lower layers and made anew by this one: nothing below may show through.
      if (state === 'whiteout') this.markOpaque(p);
    }
    this.noteDirMode(mode);
    this.written.set(p, 'dir');
    this.xattrOps(p, h, pax, true);
    this.dirTimes.set(p, times(h, pax));
  }

  private async symlink(p: string, h: TarHeader, pax: Record<string, string>): Promise<void> {
    const target = h.linkname ?? '';
    // The target is data, resolved only when the container follows it; it just has to be storable.
    if (target === '' || target.includes('\0')) throw refuse(h.name, 'invalid symlink target');
    const { uid, gid } = owner(h, pax);
    await this.prepareSlot(p);
    this.push({ op: 'symlink', path: p, target, ...this.own(uid, gid) }, target.length);
    this.written.set(p, 'other');
    this.xattrOps(p, h, pax, false);
    this.timeOp(p, h, pax);
  }

  /**
   * A second name for an entry of this diff. The inode keeps the attributes its
   * first entry gave it: the link's own header fields describe the same file.
   */
  private async hardlink(p: string, h: TarHeader): Promise<void> {
    const target = cleanName(h.linkname ?? '', h.name, 'hardlink target');
    if (target === '/') throw refuse(h.name, 'hardlink to the layer root');
    if (target === p) throw refuse(h.name, 'hardlink to itself');
    const kind = this.written.get(target);
    if (kind === 'dir' || kind === 'implicit') throw refuse(h.name, `hardlink to directory ${target}`);
    const mayBeOnDisk = kind === 'other' || (kind === undefined && (this.aliased || (this.lowerContent && !this.removedAtOrAbove(target))));
    if (!mayBeOnDisk) throw refuse(h.name, `hardlink target ${target} not found in the layer`);
    await this.prepareSlot(p);
    this.push({ op: 'link', path: p, target });
    this.written.set(p, 'other');
  }

  private async node(p: string, h: TarHeader, pax: Record<string, string>): Promise<void> {
    const { uid, gid } = owner(h, pax);
    const type = h.type === 'character-device' ? S_IFCHR : h.type === 'block-device' ? S_IFBLK : S_IFIFO;
    const major = type === S_IFIFO ? 0 : h.devmajor;
    const minor = type === S_IFIFO ? 0 : h.devminor;
    for (const n of [major, minor]) {
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw refuse(h.name, `invalid device number ${String(n)}`);
    }
    await this.prepareSlot(p);
    this.push({ op: 'mknod', path: p, mode: type | (h.mode & 0o7777), major, minor, ...this.own(uid, gid) });
    this.written.set(p, 'other');
    this.xattrOps(p, h, pax, false);
    this.timeOp(p, h, pax);
  }

  /** `.wh.<name>`: hides `p` of the lower layers. */
  private async whiteout(p: string, entryName: string): Promise<void> {
    const kind = this.written.get(p);
    // A whiteout only deletes lower content: what this layer put at `p` stays. A
    // directory of this layer may have merged a lower one, whose content must go.
    if (kind === 'dir' || kind === 'implicit') {
      await this.opaque(p, entryName);
      return;
    }
    if (kind === 'other' || kind === 'whiteout') return;
    if (this.format === 'none') {
      if ((this.lowerContent && !this.removedAtOrAbove(p)) || this.aliased) this.removeOp(p);
      return;
    }
    await this.ensureParent(p);
    if (this.lowerContent || this.aliased) this.removeOp(p);
    for (const op of whiteoutOps(this.format, p)) this.push(op);
    this.written.set(p, 'whiteout');
  }

  /** `.wh..wh..opq` in `dir`: hides every lower child of `dir`. */
  private async opaque(dir: string, entryName: string): Promise<void> {
    if (this.format === 'overlay') {
      if (dir === '/') {
        // The batch never targets its root itself; the diff directory is ours, not the tar's.
        await this.drain();
        for (const op of opaqueOps('overlay', '/')) {
          if (op.op === 'setxattr') await native.setxattr(this.root, op.name, op.value);
        }
        return;
      }
      const kind = this.written.get(dir);
      if (kind === 'whiteout' || kind === 'other') {
        this.removeOp(dir);
        this.push({ op: 'mkdir', path: dir, mode: 0o755, ...this.own(0, 0) });
        this.written.set(dir, 'implicit');
      } else if (kind === undefined) {
        await this.ensureParent(join(dir, OPAQUE_MARKER));
      }
      this.markOpaque(dir);
      return;
    }
    await this.clearLower(dir, entryName);
  }

  /**
   * vfs: the diff is a full copy, so the lower children are really there.
   * Remove every entry under `dir` this layer did not write; entries it wrote
   * before the marker stay, and so do directories of its own, minus their
   * lower content.
   */
  private async clearLower(dir: string, entryName: string): Promise<void> {
    if (!this.aliased && (!this.lowerContent || this.removedAtOrAbove(dir))) {
      return; // nothing below it came from a lower layer
    }
    if (this.aliased) await this.drainCreates();
    // Queued ops only ever add entries this layer wrote (kept anyway) or
    // remove lower ones (removing again is harmless): the disk needs no drain.
    const host = await this.hostDir(dir, entryName);
    if (host === null) return;
    let names: string[];
    try {
      names = await fsp.readdir(host);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of names) {
      const child = join(dir, name);
      const kind = this.written.get(child);
      if (kind === undefined) {
        if (!this.removed.has(child)) this.removeOp(child);
      } else if (kind === 'dir' || kind === 'implicit') {
        await this.clearLower(child, entryName);
      }
    }
  }
}
