import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GridFSBucket } from 'mongodb';
import { startHarnessServer, tempDir } from './harness';
import { restartable } from './restartable';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const FILES = 6;
const FILE_BYTES = 8 * 1024 * 1024;

function evidenceFile(i: number): Buffer {
  const bytes = Buffer.alloc(FILE_BYTES);
  for (let offset = 0; offset < FILE_BYTES; offset += 4) bytes.writeUInt32LE((offset * 2654435761 + i) >>> 0, offset);
  return bytes;
}

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function upload(bucket: GridFSBucket, name: string, bytes: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const stream = bucket.openUploadStream(name);
    stream.once('finish', () => resolve());
    stream.once('error', reject);
    stream.end(bytes);
  });
}

async function download(bucket: GridFSBucket, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of bucket.openDownloadStreamByName(name)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function externalBytes(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().arrayBuffers;
}

describe('durability: big documents live on disk, not in memory', function () {
  this.timeout(60_000);
  const data = tempDir('spill');
  const running = restartable(() => startHarnessServer({ dbPath: data.dir }));
  const start = async (): Promise<GridFSBucket> => new GridFSBucket((await running.start()).db('evidence'));
  const stop = () => running.stop();

  after(async () => {
    await stop();
    data.remove();
  });

  it('When 48 MB of GridFS evidence is stored, then its chunks are kept in the spill file, memory does not hold them, and every file reads back intact, also after a restart', async () => {
    let bucket = await start();
    const hashes = new Map<string, string>();
    const before = externalBytes();
    for (let i = 0; i < FILES; i++) {
      const bytes = evidenceFile(i);
      hashes.set(`evidence-${i}.pdf`, sha(bytes));
      await upload(bucket, `evidence-${i}.pdf`, bytes);
    }
    const grown = externalBytes() - before;
    const stored = FILES * FILE_BYTES;
    assert.ok(grown < stored / 3, `buffers grew by ${(grown / 1e6).toFixed(1)} MB for ${(stored / 1e6).toFixed(1)} MB stored`);
    const spill = running.server?.persistence?.spill;
    assert.ok(spill);
    assert.ok(spill.stats.bytes >= stored, `${spill.stats.bytes} bytes spilled`);
    assert.ok(statSync(path.join(data.dir, 'documents.spill')).size >= stored);
    for (const [name, hash] of hashes) assert.equal(sha(await download(bucket, name)), hash, `${name} reads back intact`);

    await stop();
    bucket = await start();
    for (const [name, hash] of hashes) assert.equal(sha(await download(bucket, name)), hash, `${name} intact after restart`);
    assert.ok((running.server?.persistence?.spill.stats.bytes ?? 0) >= stored, 'recovery put the chunks back on disk');
    await stop();
  });

  it('When a document is over the size threshold, then it is spilled; a small one stays in memory; both read back', async () => {
    await start();
    const spill = running.server?.persistence?.spill;
    const spilledBefore = spill?.stats.documents ?? 0;
    const answers = running.client?.db('app').collection('answers');
    assert.ok(answers);
    await answers.insertOne({ _id: 'big' as never, text: 'x'.repeat(100_000) });
    await answers.insertOne({ _id: 'small' as never, text: 'yes' });
    assert.equal((spill?.stats.documents ?? 0) - spilledBefore, 1);
    assert.equal(((await answers.findOne({ _id: 'big' as never }))?.text as string).length, 100_000);
    assert.equal((await answers.findOne({ _id: 'small' as never }))?.text, 'yes');
    await answers.updateOne({ _id: 'big' as never }, { $set: { note: 'reviewed' } });
    assert.equal((await answers.findOne({ _id: 'big' as never }))?.note, 'reviewed');
    await stop();
  });
});
