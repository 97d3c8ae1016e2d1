/** GridFS through the driver's GridFSBucket: a 20 MB file survives upload and download byte for byte. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, type Db, type MongoClient } from 'mongodb';
import { connectTestClient } from '../helpers/mongo-target';

describe('GridFS', function () {
  this.timeout(60_000);
  let client: MongoClient;
  let dbName: string;
  let db: Db;

  before(async function () {
    ({ client, dbName } = await connectTestClient('gridfs'));
    db = client.db(dbName);
  });

  after(async function () {
    await db.dropDatabase();
    await client.close();
  });

  async function download(bucket: GridFSBucket, id: unknown): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of bucket.openDownloadStream(id as never)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  it('uploads and downloads a 20 MB file byte for byte, in 255 KB chunks with the unique {files_id, n} index', async function () {
    const bucket = new GridFSBucket(db, { bucketName: 'evidence' });
    const data = randomBytes(20 * 1024 * 1024);
    const upload = bucket.openUploadStream('audit.pdf', { metadata: { supplier: 'acme' } });
    await pipeline(Readable.from([data.subarray(0, 7_000_000), data.subarray(7_000_000)]), upload);
    const id = upload.id;

    const files = await bucket.find({ _id: id }).toArray();
    assert.equal(files.length, 1);
    assert.equal(files[0].length, data.length);
    assert.equal(files[0].chunkSize, 255 * 1024);
    assert.equal(files[0].metadata?.supplier, 'acme');
    assert.equal(await db.collection('evidence.chunks').countDocuments({ files_id: id }), Math.ceil(data.length / (255 * 1024)));
    const indexes = await db.collection('evidence.chunks').indexes();
    assert.ok(indexes.some((i) => i.unique && JSON.stringify(i.key) === JSON.stringify({ files_id: 1, n: 1 })));

    const back = await download(bucket, id);
    assert.equal(back.length, data.length);
    assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  it('downloads a byte range and by name; delete removes the file and its chunks', async function () {
    const bucket = new GridFSBucket(db, { bucketName: 'ranges' });
    const data = randomBytes(600 * 1024);
    const upload = bucket.openUploadStream('range.bin');
    await pipeline(Readable.from([data]), upload);

    const parts: Buffer[] = [];
    for await (const chunk of bucket.openDownloadStream(upload.id, { start: 300_000, end: 300_100 })) parts.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(parts), data.subarray(300_000, 300_100));

    const byName: Buffer[] = [];
    for await (const chunk of bucket.openDownloadStreamByName('range.bin')) byName.push(chunk as Buffer);
    assert.ok(Buffer.concat(byName).equals(data));

    await bucket.delete(upload.id);
    assert.equal(await db.collection('ranges.files').countDocuments(), 0);
    assert.equal(await db.collection('ranges.chunks').countDocuments(), 0);
  });
});
