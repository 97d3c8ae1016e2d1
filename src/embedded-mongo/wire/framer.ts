/**
 * Splits a TCP byte stream into length-prefixed MongoDB wire messages. A message's first int32 is its total
 * length (header included); anything outside [16, MAX_MESSAGE_BYTES] means the peer is not speaking the protocol.
 */
export const MIN_MESSAGE_BYTES = 16;
export const MAX_MESSAGE_BYTES = 48_000_000;

export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds received bytes and returns every message now complete, in arrival order. Throws FramingError. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    for (;;) {
      const length = this.peekLength();
      if (length === undefined || this.buffered < length) return messages;
      messages.push(this.take(length));
    }
  }

  private peekLength(): number | undefined {
    if (this.buffered < 4) return undefined;
    if (this.chunks[0].length < 4) this.coalesce();
    const length = this.chunks[0].readInt32LE(0);
    if (length < MIN_MESSAGE_BYTES || length > MAX_MESSAGE_BYTES) {
      throw new FramingError(`invalid message length ${length} (allowed ${MIN_MESSAGE_BYTES}..${MAX_MESSAGE_BYTES})`);
    }
    return length;
  }

  private take(length: number): Buffer {
    if (this.chunks[0].length < length) this.coalesce();
    const head = this.chunks[0];
    const message = head.subarray(0, length);
    if (head.length === length) this.chunks.shift();
    else this.chunks[0] = head.subarray(length);
    this.buffered -= length;
    return message;
  }

  private coalesce(): void {
    this.chunks = [Buffer.concat(this.chunks, this.buffered)];
  }
}
