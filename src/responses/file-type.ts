/**
 * Detects an uploaded file's type from its content (magic bytes), never from its name or the browser's claim:
 * a renamed executable must not pass as a PDF.
 */
export const EVIDENCE_TYPES = ['pdf', 'jpeg', 'png', 'docx', 'xlsx'] as const;
export type EvidenceType = (typeof EVIDENCE_TYPES)[number];

export const EVIDENCE_MIME: Record<EvidenceType, string> = {
  pdf: 'application/pdf',
  jpeg: 'image/jpeg',
  png: 'image/png',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export function isEvidenceType(value: unknown): value is EvidenceType {
  return typeof value === 'string' && (EVIDENCE_TYPES as readonly string[]).includes(value);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_LOCAL_HEADER = 0x04034b50;
const ZIP_END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP_CENTRAL_HEADER = 0x02014b50;
const ZIP_MAX_COMMENT = 0xffff;

function startsWith(buffer: Buffer, bytes: readonly number[]): boolean {
  return buffer.length >= bytes.length && bytes.every((byte, i) => buffer[i] === byte);
}

export function detectFileType(buffer: Buffer): EvidenceType | undefined {
  if (buffer.length >= 5 && buffer.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (startsWith(buffer, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(buffer, PNG_SIGNATURE)) return 'png';
  if (buffer.length >= 4 && buffer.readUInt32LE(0) === ZIP_LOCAL_HEADER) return detectOfficeZip(buffer);
  return undefined;
}

function detectOfficeZip(buffer: Buffer): EvidenceType | undefined {
  const names = zipEntryNames(buffer);
  if (!names || !names.includes('[Content_Types].xml')) return undefined;
  if (names.some((name) => name.startsWith('word/'))) return 'docx';
  if (names.some((name) => name.startsWith('xl/'))) return 'xlsx';
  return undefined;
}

/** Entry names from the ZIP central directory; undefined when the archive is malformed or truncated. */
export function zipEntryNames(buffer: Buffer): string[] | undefined {
  const eocd = findEndOfCentralDirectory(buffer);
  if (eocd === undefined) return undefined;
  const entryCount = buffer.readUInt16LE(eocd + 10);
  let offset = buffer.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < entryCount; i += 1) {
    if (offset + 46 > buffer.length || buffer.readUInt32LE(offset) !== ZIP_CENTRAL_HEADER) return undefined;
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    const nameEnd = offset + 46 + nameLength;
    if (nameEnd > buffer.length) return undefined;
    names.push(buffer.subarray(offset + 46, nameEnd).toString('utf8'));
    offset = nameEnd + extraLength + commentLength;
  }
  return names;
}

function findEndOfCentralDirectory(buffer: Buffer): number | undefined {
  const lowest = Math.max(0, buffer.length - 22 - ZIP_MAX_COMMENT);
  for (let offset = buffer.length - 22; offset >= lowest; offset -= 1) {
    if (buffer.readUInt32LE(offset) === ZIP_END_OF_CENTRAL_DIRECTORY) return offset;
  }
  return undefined;
}
