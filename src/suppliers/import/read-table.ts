/**
 * Turns an uploaded file into a table of strings: CSV as Swedish Excel writes it ("CSV UTF-8" with a BOM and `;` or
 * `,`; plain "CSV", which is `;`-separated Windows-1252; "Unicode text", tab-separated UTF-16) or XLSX. Formula cells
 * give their cached values; nothing is ever evaluated. Runs in a worker thread (see parse-worker.ts): every limit is
 * checked before the expensive step it protects.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import type ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import yauzl from 'yauzl';
import { IMPORT_LIMITS } from './limits';

export interface ImportTable {
  format: 'csv' | 'xlsx';
  /** CSV: the encoding it was read as; XLSX: the sheet read. */
  encoding?: string;
  delimiter?: string;
  sheetName?: string;
  headers: string[];
  /** Data rows with their row number as a spreadsheet shows it (the header is row 1 in a CSV file). */
  rows: Array<{ rowNumber: number; cells: string[] }>;
}

/** A problem with the file as a whole; `code` is the i18n key `suppliers:import.fileErrors.<code>`. */
export class TableError extends Error {
  constructor(
    readonly code: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(`import file: ${code}`);
    this.name = 'TableError';
  }
}

export async function readTable(buffer: Buffer): Promise<ImportTable> {
  if (buffer.length === 0) throw new TableError('empty');
  if (buffer.length > IMPORT_LIMITS.fileBytes) throw new TableError('tooLarge', { maxMb: IMPORT_LIMITS.fileBytes / 1024 / 1024 });
  if (buffer.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return readXlsx(buffer);
  // The old binary Excel format (and other OLE files).
  if (buffer.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) throw new TableError('legacyExcel');
  return readCsv(buffer);
}

// ---------------------------------------------------------------------------------------------------------- CSV

/** Text of a CSV file: a BOM decides; else strict UTF-8; else Windows-1252 (what Swedish Excel's plain "CSV" is). */
export function decodeText(buffer: Buffer): { text: string; encoding: string } {
  if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) return { text: strictUtf8(buffer.subarray(3)), encoding: 'utf-8' };
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return { text: iconv.decode(buffer.subarray(2), 'utf16le'), encoding: 'utf-16le' };
  if (buffer[0] === 0xfe && buffer[1] === 0xff) return { text: iconv.decode(buffer.subarray(2), 'utf16be'), encoding: 'utf-16be' };
  // NUL bytes: a binary file, or UTF-16 without its BOM.
  if (buffer.includes(0)) throw new TableError('notText');
  let decoded: { text: string; encoding: string };
  try {
    decoded = { text: new TextDecoder('utf-8', { fatal: true }).decode(buffer), encoding: 'utf-8' };
  } catch {
    decoded = { text: iconv.decode(buffer, 'win1252'), encoding: 'windows-1252' };
  }
  // Control characters (C0 other than tab and line breaks, C1, U+FFFD): not a text file in an encoding we know.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/.test(decoded.text)) throw new TableError('encoding');
  return decoded;
}

function strictUtf8(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw new TableError('encoding');
  }
}

/** The separator of the header line: the most frequent of `;`, `,` and tab outside quotes (`;` wins ties, as Swedish Excel writes it). */
export function detectDelimiter(text: string): string {
  const counts: Record<string, number> = { ';': 0, ',': 0, '\t': 0 };
  let quoted = false;
  for (const char of text.slice(0, IMPORT_LIMITS.recordChars)) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && char in counts) counts[char] = (counts[char] ?? 0) + 1;
  }
  return Object.entries(counts).reduce((best, entry) => (entry[1] > best[1] ? entry : best), [';', 0] as [string, number])[0];
}

interface CsvErrorLike {
  code?: unknown;
  records?: unknown;
}

function readCsv(buffer: Buffer): ImportTable {
  const { text, encoding } = decodeText(buffer);
  const delimiter = detectDelimiter(text);
  let records: string[][];
  try {
    records = parseCsv(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
      max_record_size: IMPORT_LIMITS.recordChars,
      // The header, the allowed rows and one more to tell that there are too many.
      to: IMPORT_LIMITS.rows + 2,
    }) as string[][];
  } catch (error) {
    const { code, records: done } = error as CsvErrorLike;
    const row = (typeof done === 'number' ? done : 0) + 1;
    if (code === 'CSV_MAX_RECORD_SIZE') throw new TableError('recordTooLong', { row, max: IMPORT_LIMITS.recordChars });
    throw new TableError('csvSyntax', { row });
  }
  return toTable('csv', records.map((cells, index) => ({ rowNumber: index + 1, cells })), { encoding, delimiter });
}

function toTable(format: ImportTable['format'], rows: Array<{ rowNumber: number; cells: string[] }>, extra: Partial<ImportTable>): ImportTable {
  const [header, ...data] = rows;
  if (!header || header.cells.every((cell) => cell === '')) throw new TableError('noHeader');
  if (header.cells.length > IMPORT_LIMITS.columns) throw new TableError('tooManyColumns', { max: IMPORT_LIMITS.columns });
  if (data.length > IMPORT_LIMITS.rows) throw new TableError('tooManyRows', { max: IMPORT_LIMITS.rows });
  if (data.length === 0) throw new TableError('noRows');
  return { format, ...extra, headers: header.cells.map((cell) => cell.trim()), rows: data };
}

// --------------------------------------------------------------------------------------------------------- XLSX

function openZip(buffer: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true }, (error, zip) => {
      if (error || !zip) reject(new TableError('xlsxInvalid'));
      else resolve(zip);
    });
  });
}

const ROW_TAG = /<(?:[A-Za-z_][\w.-]*:)?row[\s>/]/g;

/**
 * Reads every entry of the zip through yauzl, which reads the same central directory as exceljs' unzipper and stops
 * an entry that inflates beyond its declared size: the declared sizes must stay within the limits, and the actual
 * bytes then cannot exceed them. Counts worksheet rows on the way, so a sheet of 100,000 rows is refused before
 * exceljs builds it in memory.
 */
export async function checkZip(buffer: Buffer): Promise<void> {
  const zip = await openZip(buffer);
  if (zip.entryCount > IMPORT_LIMITS.zipEntries) {
    zip.close();
    throw new TableError('xlsxTooBig');
  }
  let declared = 0;
  let worksheetRows = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      zip.close();
      reject(error instanceof TableError ? error : new TableError('xlsxInvalid'));
    };
    zip.on('error', fail);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.isEncrypted()) return fail(new TableError('xlsxEncrypted'));
      declared += entry.uncompressedSize;
      if (declared > IMPORT_LIMITS.uncompressedBytes) return fail(new TableError('xlsxTooBig'));
      if (entry.fileName.endsWith('/')) return zip.readEntry();
      const isWorksheet = /^xl\/worksheets\/[^/]+\.xml$/i.test(entry.fileName);
      zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) return fail(new TableError('xlsxInvalid'));
        let tail = '';
        stream.on('data', (chunk: Buffer) => {
          if (!isWorksheet) return;
          const text = tail + chunk.toString('latin1');
          worksheetRows += text.match(ROW_TAG)?.length ?? 0;
          // A tag split across two chunks is counted once: keep only what cannot hold a whole tag.
          tail = text.slice(-32);
          const tailMatches = tail.match(ROW_TAG)?.length ?? 0;
          worksheetRows -= tailMatches;
          if (worksheetRows > IMPORT_LIMITS.rows + 1 + 1000) {
            stream.destroy();
            fail(new TableError('tooManyRows', { max: IMPORT_LIMITS.rows }));
          }
        });
        stream.on('error', () => fail(new TableError('xlsxTooBig')));
        stream.on('end', () => {
          worksheetRows += tail.match(ROW_TAG)?.length ?? 0;
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
}

/** A cell's value as text: formulas give their cached result, dates an ISO date, rich text its characters. */
export function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString().slice(0, 10);
  if ('richText' in value && Array.isArray(value.richText)) return value.richText.map((run) => run.text).join('');
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: ExcelJS.CellValue }).result);
  if ('text' in value && 'hyperlink' in value) return cellText(value.text as ExcelJS.CellValue);
  // Error cells (#N/A, #REF!) have no value to import.
  return '';
}

async function readXlsx(buffer: Buffer): Promise<ImportTable> {
  await checkZip(buffer);
  // Loaded only for XLSX files: it takes longer to load than a CSV file takes to read.
  const { Workbook } = (await import('exceljs')).default;
  const workbook = new Workbook();
  try {
    await workbook.xlsx.load(buffer as unknown as ExcelJS.Buffer);
  } catch {
    throw new TableError('xlsxInvalid');
  }
  const sheet = workbook.worksheets.find((candidate) => candidate.state === 'visible' && candidate.actualRowCount > 0);
  if (!sheet) throw new TableError('noRows');
  const rows: Array<{ rowNumber: number; cells: string[] }> = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    for (let column = 1; column <= Math.min(row.cellCount, IMPORT_LIMITS.columns + 1); column += 1) cells.push(cellText(row.getCell(column).value).trim());
    if (cells.some((cell) => cell !== '')) rows.push({ rowNumber, cells });
  });
  return toTable('xlsx', rows, { sheetName: sheet.name });
}
