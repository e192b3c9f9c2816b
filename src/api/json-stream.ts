// Docker's streamed JSON answers (pull, load, import): nothing is sent until
// the first message, so that a failure before it is an ordinary HTTP error;
// after it the status is 200 and a failure travels in-band as
// `{"errorDetail":{"message":m},"error":m}`.
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';

export class JsonMessageStream {
  private body: PassThrough | null = null;

  constructor(
    private readonly reply: FastifyReply,
    /** Docker ends each pull/load message with `\r\n`. */
    private readonly separator = '\r\n',
  ) {}

  get started(): boolean {
    return this.body !== null;
  }

  private start(): PassThrough {
    if (this.body === null) {
      this.body = new PassThrough();
      this.reply.code(200).header('content-type', 'application/json').send(this.body);
    }
    return this.body;
  }

  write(message: unknown): void {
    const body = this.start();
    // A client that went away leaves a destroyed stream; the work goes on, unheard.
    if (!body.writableEnded && !body.destroyed) body.write(`${JSON.stringify(message)}${this.separator}`);
  }

  /** Ends the answer (an empty 200 when nothing was said). */
  end(): void {
    const body = this.start();
    if (!body.destroyed) body.end();
  }

  /**
   * After the first message, writes the error in-band and ends; before it,
   * rethrows for the error handler to answer with a status.
   */
  fail(error: unknown): void {
    if (this.body === null) throw error;
    const message = error instanceof Error ? error.message : String(error);
    this.write({ errorDetail: { message }, error: message });
    if (!this.body.destroyed) this.body.end();
  }
}
