// Layer and archive compression, told by the first bytes: `docker save`
// archives carry no media types, and registries' are not always right.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const MAGIC: Array<{ bytes: number[]; format: 'gzip' | 'zstd' | 'xz' | 'bzip2' }> = [
  { bytes: [0x1f, 0x8b], format: 'gzip' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], format: 'zstd' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], format: 'xz' },
  { bytes: [0x42, 0x5a, 0x68], format: 'bzip2' },
];
const MAGIC_LENGTH = 6;
// Bigger than zlib's 16 KiB default: fewer, larger chunks for the tar parser.
const GUNZIP_CHUNK = 256 * 1024;

export class UnsupportedCompressionError extends Error {
  readonly code = 'ENOTSUP' as const;
  constructor(readonly format: string) {
    super(`${format} compressed layers are not supported`);
    this.name = 'UnsupportedCompressionError';
  }
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('expected a byte stream (without an encoding set)');
}

/**
 * The stages that turn `input` into plain tar bytes, for stream.pipeline:
 * `[source]` when it is not compressed, `[source, gunzip]` when it is gzip.
 * Peeks at the first bytes and replays them.
 */
export async function decompressed(input: Readable): Promise<Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream>> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  const head: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < MAGIC_LENGTH) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = asBuffer(next.value);
    head.push(chunk);
    length += chunk.length;
  }
  const first = Buffer.concat(head);
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    if (ended) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield asBuffer(next.value);
    }
  }
  const source = Readable.from(replay(), { objectMode: false });
  const format = MAGIC.find((m) => m.bytes.every((b, i) => first[i] === b))?.format;
  if (format === undefined) return [source];
  if (format === 'gzip') return [source, createGunzip({ chunkSize: GUNZIP_CHUNK })];
  source.destroy();
  throw new UnsupportedCompressionError(format);
}
