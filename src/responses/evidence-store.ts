import { GridFSBucket, ObjectId, type GridFSFile } from 'mongodb';
import type mongoose from 'mongoose';
import type { EvidenceType } from './file-type';

export const EVIDENCE_BUCKET = 'evidence';

export interface EvidenceMetadata {
  responseId: ObjectId;
  questionId: string;
  originalName: string;
  detectedType: EvidenceType;
  size: number;
}

function evidenceBucket(conn: mongoose.Connection): GridFSBucket {
  if (!conn.db) throw new Error('The database connection is not open');
  return new GridFSBucket(conn.db, { bucketName: EVIDENCE_BUCKET });
}

/** Keeps the visible part of a browser-supplied file name: no path, no control characters, bounded length. */
export function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(-200);
  return cleaned.length > 0 ? cleaned : 'file';
}

export async function storeEvidenceFile(
  conn: mongoose.Connection,
  buffer: Buffer,
  metadata: EvidenceMetadata,
): Promise<ObjectId> {
  const bucket = evidenceBucket(conn);
  const upload = bucket.openUploadStream(metadata.originalName, { metadata });
  await new Promise<void>((resolve, reject) => {
    upload.once('error', reject);
    upload.once('finish', () => resolve());
    upload.end(buffer);
  });
  return upload.id;
}

export async function findEvidenceFile(conn: mongoose.Connection, fileId: ObjectId): Promise<GridFSFile | undefined> {
  const files = await evidenceBucket(conn).find({ _id: fileId }).limit(1).toArray();
  return files[0];
}

export function openEvidenceDownload(conn: mongoose.Connection, fileId: ObjectId): NodeJS.ReadableStream {
  return evidenceBucket(conn).openDownloadStream(fileId);
}

export async function deleteEvidenceFile(conn: mongoose.Connection, fileId: ObjectId): Promise<void> {
  await evidenceBucket(conn).delete(fileId);
}
