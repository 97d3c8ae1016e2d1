import mongoose from 'mongoose';
import { computeVisibility, type EvidenceSpec, type Question } from '../questionnaires';
import { HttpError } from '../platform/errors';
import { cleanFileName, deleteEvidenceFile, openEvidenceDownload, storeEvidenceFile } from './evidence-store';
import { detectFileType, EVIDENCE_MIME } from './file-type';
import type { EvidenceRef } from './model';
import { submissionModel } from './submission-model';
import { answersOf, assertDraft, findQuestion, updateDraft, type ResponseDeps, type SupplierContext } from './service';

export const DEFAULT_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_EVIDENCE_MAX_FILES = 5;

export interface EvidenceTarget {
  question: Question;
  spec: EvidenceSpec;
}

/** The question an upload is for, which must exist and ask for documents. */
export function evidenceTarget(ctx: SupplierContext, questionId: string): EvidenceTarget {
  const { question } = findQuestion(ctx.definition, questionId);
  if (!question.evidence) throw new HttpError(400, 'supplier:errors.noEvidenceHere');
  return { question, spec: question.evidence };
}

export function maxBytesOf(spec: EvidenceSpec): number {
  return spec.maxBytes > 0 ? spec.maxBytes : DEFAULT_EVIDENCE_MAX_BYTES;
}

function maxFilesOf(spec: EvidenceSpec): number {
  return spec.maxFiles > 0 ? spec.maxFiles : DEFAULT_EVIDENCE_MAX_FILES;
}

export interface Upload {
  buffer: Buffer;
  originalName: string;
}

/**
 * Checks an uploaded file against the question (size, type by content, number of files) and stores it in GridFS.
 * Nothing is stored when a check fails.
 */
export async function addEvidence(deps: ResponseDeps, ctx: SupplierContext, questionId: string, upload: Upload): Promise<EvidenceRef> {
  assertDraft(ctx.response);
  const { question, spec } = evidenceTarget(ctx, questionId);
  const visibility = computeVisibility(ctx.definition, answersOf(ctx.response, ctx.definition));
  if (!visibility.isEvidenceRequested(question)) {
    throw new HttpError(409, visibility.isQuestionVisible(question) ? 'supplier:errors.evidenceNotRequested' : 'supplier:errors.questionHidden');
  }
  if (upload.buffer.length === 0) throw new HttpError(400, 'supplier:errors.fileMissing', {}, { field: `file-${questionId}` });
  const maxBytes = maxBytesOf(spec);
  if (upload.buffer.length > maxBytes) {
    throw new HttpError(413, 'supplier:errors.fileTooLarge', { max: formatMegabytes(maxBytes) }, { field: `file-${questionId}` });
  }
  const detected = detectFileType(upload.buffer);
  if (!detected || !spec.accept.includes(detected)) {
    throw new HttpError(415, 'supplier:errors.fileType', { accepted: spec.accept.map((t) => t.toUpperCase()).join(', ') }, { field: `file-${questionId}` });
  }
  const existing = ctx.response.evidence.filter((ref) => ref.questionId === questionId).length;
  if (existing >= maxFilesOf(spec)) {
    throw new HttpError(409, 'supplier:errors.tooManyFiles', { max: maxFilesOf(spec) }, { field: `file-${questionId}` });
  }

  const originalName = cleanFileName(upload.originalName);
  const fileId = await storeEvidenceFile(deps.connection, upload.buffer, {
    responseId: ctx.response._id,
    questionId,
    originalName,
    detectedType: detected,
    size: upload.buffer.length,
  });
  const now = deps.clock.now();
  const ref: EvidenceRef = { fileId, questionId, filename: originalName, detectedType: detected, size: upload.buffer.length, uploadedAt: now };
  try {
    await updateDraft(deps, ctx.response, { $push: { evidence: ref } });
  } catch (error) {
    await deleteEvidenceFile(deps.connection, fileId);
    throw error;
  }
  return ref;
}

/** A size limit in megabytes, as the "too large" messages show it ("10", "2.5"). */
export function formatMegabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1);
}

function parseFileId(fileId: string): mongoose.Types.ObjectId {
  if (!/^[0-9a-f]{24}$/i.test(fileId)) throw new HttpError(404, 'supplier:errors.unknownFile');
  return new mongoose.Types.ObjectId(fileId);
}

function findRef(ctx: SupplierContext, fileId: string): EvidenceRef {
  const id = parseFileId(fileId);
  const ref = ctx.response.evidence.find((r) => r.fileId.equals(id));
  if (!ref) throw new HttpError(404, 'supplier:errors.unknownFile');
  return ref;
}

/**
 * Removes a file from a draft; the file belongs to this response or the request is refused. A file an earlier
 * submission holds stays stored (the record keeps what was submitted), it is only no longer part of the answer.
 */
export async function removeEvidence(deps: ResponseDeps, ctx: SupplierContext, fileId: string): Promise<EvidenceRef> {
  assertDraft(ctx.response);
  const ref = findRef(ctx, fileId);
  await updateDraft(deps, ctx.response, { $pull: { evidence: { fileId: ref.fileId } } });
  const submitted = await submissionModel(deps.connection).exists({ responseId: ctx.response._id, 'evidence.fileId': ref.fileId });
  if (!submitted) await deleteEvidenceFile(deps.connection, ref.fileId);
  return ref;
}

export function evidenceDownload(deps: ResponseDeps, ctx: SupplierContext, fileId: string): { ref: EvidenceRef; contentType: string; stream: NodeJS.ReadableStream } {
  const ref = findRef(ctx, fileId);
  const contentType = ref.detectedType in EVIDENCE_MIME ? EVIDENCE_MIME[ref.detectedType as keyof typeof EVIDENCE_MIME] : 'application/octet-stream';
  return { ref, contentType, stream: openEvidenceDownload(deps.connection, ref.fileId) };
}
