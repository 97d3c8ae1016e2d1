/**
 * Reads the frames of a journal or checkpoint file through a sliding buffer, so a file of any size (a checkpoint
 * holding gigabytes of evidence) is read in bounded memory and a journal of many small commits in few reads.
 */
import type { FileHandle } from 'node:fs/promises';
import type { ChangeRecord } from '../persistence';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, UNDECODABLE, checkFrame, decodeRecords, type FrameScan, type PayloadScan } from './frames';

const READ_BYTES = 16 * 1024 * 1024;

export class FrameReader {
  private buffer = Buffer.alloc(0);
  /** File offset of `buffer[0]`. */
  private bufferStart = 0;

  constructor(
    private readonly handle: FileHandle,
    /** Where the frames end: the file size, or the start of a trailer. */
    private readonly end: number,
    /** Bytes read at a time (less for reads of a few frames). */
    private readonly readBytes = READ_BYTES,
  ) {}

  /** The frame at file offset `offset` (frames must be read in increasing offset order). */
  async frameAt(offset: number): Promise<FrameScan> {
    const scan = await this.payloadAt(offset);
    if (scan.kind !== 'frame') return scan;
    const records: ChangeRecord[] = [];
    const decoded = decodeRecords(scan.payload, Infinity, (batch) => {
      for (const record of batch) records.push(record);
    });
    return decoded ? { kind: 'frame', records, end: scan.end } : { kind: 'damaged', reason: UNDECODABLE };
  }

  /**
   * The checked payload of the frame at `offset`, not decoded (see `decodeRecords`); valid until the next read
   * from this reader.
   */
  async payloadAt(offset: number): Promise<PayloadScan> {
    if (offset === this.end) return { kind: 'end' };
    if (this.end - offset < FRAME_HEADER_BYTES) return { kind: 'damaged', reason: 'torn frame header' };
    await this.ensure(offset, FRAME_HEADER_BYTES);
    const length = this.buffer.readUInt32LE(offset - this.bufferStart);
    if (length > MAX_FRAME_BYTES) return { kind: 'damaged', reason: `implausible frame length ${length}` };
    const frameBytes = FRAME_HEADER_BYTES + length;
    if (offset + frameBytes > this.end) return { kind: 'damaged', reason: 'torn frame (ends past the end of the file)' };
    await this.ensure(offset, frameBytes);
    const relative = offset - this.bufferStart;
    const scan = checkFrame(this.buffer.subarray(relative, relative + frameBytes), 0);
    return scan.kind === 'frame' ? { ...scan, end: offset + scan.end } : scan;
  }

  /** The length field of the frame at `offset`, to step over a damaged frame when counting what was dropped. */
  async lengthAt(offset: number): Promise<number | undefined> {
    if (this.end - offset < FRAME_HEADER_BYTES) return undefined;
    await this.ensure(offset, FRAME_HEADER_BYTES);
    return this.buffer.readUInt32LE(offset - this.bufferStart);
  }

  /** Makes `buffer` hold the file bytes [offset, offset + bytes). */
  private async ensure(offset: number, bytes: number): Promise<void> {
    const have = this.bufferStart + this.buffer.length;
    if (offset >= this.bufferStart && offset + bytes <= have) return;
    const size = Math.min(Math.max(bytes, this.readBytes), this.end - offset);
    const next = Buffer.allocUnsafe(size);
    let filled = 0;
    if (offset >= this.bufferStart && offset < have) {
      filled = this.buffer.copy(next, 0, offset - this.bufferStart);
    }
    while (filled < size) {
      const { bytesRead } = await this.handle.read(next, filled, size - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.buffer = next.subarray(0, filled);
    this.bufferStart = offset;
  }
}
