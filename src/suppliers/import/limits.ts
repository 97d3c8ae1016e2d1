/** What an import accepts; larger files are refused before they are read in full. */
export const IMPORT_LIMITS = {
  /** Upload size. */
  fileBytes: 5 * 1024 * 1024,
  /** Data rows (the header row not counted). */
  rows: 10_000,
  /** Characters in one CSV record (a line, or several when a quoted field holds line breaks). */
  recordChars: 20_000,
  /** Columns in the header row. */
  columns: 100,
  /** XLSX: entries in the zip, and their bytes once uncompressed (declared and actually inflated). */
  zipEntries: 500,
  uncompressedBytes: 50 * 1024 * 1024,
  /** The parser runs in a worker with this much heap, stopped after this long. */
  workerHeapMb: 512,
  workerTimeoutMs: 60_000,
  /** How long a preview waits for its confirmation. */
  previewMs: 60 * 60 * 1000,
} as const;
