// Pull progress as the docker client shows it. On a terminal each layer is
// a line redrawn in place (cli-progress's multi-bar does the cursor work);
// elsewhere each message is one plain line, and byte counts are left out as
// docker leaves them out of a log.
import { Writable } from 'node:stream';
import { MultiBar, type Options, type Params, type SingleBar } from 'cli-progress';
import type { JSONMessage } from '../image/pull';
import type { OutputStream } from './io';
import { humanSize } from './units';

export interface ProgressSink {
  write(message: JSONMessage): void;
  /** Draws the final state and releases the terminal. */
  finish(): void;
}

/** Whether a message is only a byte count docker keeps off non-terminals. */
const isByteCount = (m: JSONMessage): boolean => (m.progressDetail?.current ?? 0) > 0 || (m.progressDetail?.total ?? 0) > 0;

const line = (m: JSONMessage): string => (m.id ? `${m.id}: ${m.status}` : m.status);

class PlainProgress implements ProgressSink {
  constructor(private readonly out: OutputStream) {}
  write(message: JSONMessage): void {
    if (isByteCount(message)) return;
    this.out.write(`${line(message)}\n`);
  }
  finish(): void {}
}

const BAR_WIDTH = 50;

function dockerBar(current: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR_WIDTH, Math.floor((current / total) * BAR_WIDTH)) : 0;
  const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}`;
  return `[${bar}] ${humanSize(current)}/${humanSize(total)}`;
}

interface LayerPayload {
  text: string;
  counting: boolean;
}

/** cli-progress writes through readline's cursor calls, which need a TTY-like stream. */
class TerminalStream extends Writable {
  readonly isTTY = true;
  readonly columns = 120;
  constructor(private readonly target: OutputStream) {
    super({ decodeStrings: false });
  }
  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.target.write(typeof chunk === 'string' ? chunk : String(chunk));
    callback();
  }
}

class TerminalProgress implements ProgressSink {
  private bars: MultiBar | null = null;
  private readonly layers = new Map<string, SingleBar>();
  private readonly stream: NodeJS.WritableStream;

  constructor(private readonly out: OutputStream) {
    const native = out as OutputStream & { isTTY?: boolean };
    this.stream = native.isTTY === true && out instanceof Writable ? (out as NodeJS.WritableStream) : new TerminalStream(out);
  }

  private multiBar(): MultiBar {
    if (this.bars === null) {
      const options: Options = {
        stream: this.stream,
        format: (_options: Options, params: Params, payload: LayerPayload) =>
          payload.counting ? `${payload.text} ${dockerBar(params.value, params.total)}` : payload.text,
        hideCursor: null,
        clearOnComplete: false,
        stopOnComplete: false,
        linewrap: null,
        gracefulExit: false,
        fps: 10,
      };
      this.bars = new MultiBar(options);
    }
    return this.bars;
  }

  write(message: JSONMessage): void {
    if (!message.id) {
      // Lines without a layer (Digest:, Status:) come after the bars, as docker prints them.
      this.stopBars();
      this.out.write(`${message.status}\n`);
      return;
    }
    const payload: LayerPayload = { text: line(message), counting: isByteCount(message) };
    const total = message.progressDetail?.total ?? 0;
    const current = message.progressDetail?.current ?? 0;
    const bar = this.layers.get(message.id);
    if (bar === undefined) {
      this.layers.set(message.id, this.multiBar().create(total, current, payload));
      return;
    }
    if (payload.counting) bar.setTotal(total);
    bar.update(current, payload);
  }

  private stopBars(): void {
    if (this.bars !== null) {
      this.bars.stop();
      this.bars = null;
      this.layers.clear();
    }
  }

  finish(): void {
    this.stopBars();
  }
}

/** Progress for `out`: bars on a terminal, plain lines otherwise. */
export function pullProgress(out: OutputStream, terminal: boolean): ProgressSink {
  return terminal ? new TerminalProgress(out) : new PlainProgress(out);
}
