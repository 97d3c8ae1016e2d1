/**
 * Import files as Swedish Excel writes them, made byte by byte: "CSV UTF-8" (BOM, `;`), plain "CSV" (Windows-1252,
 * `;`), CRLF line ends, quoted fields with line breaks; XLSX from exceljs (shared strings after the sheet, as Excel
 * does) and hand-made zips for hostile cases (a bomb that tells the truth about its size and one that lies).
 */
import { crc32, deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';

export const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export function csvUtf8(lines: string[], delimiter = ';'): Buffer {
  return Buffer.concat([BOM, Buffer.from(lines.map((line) => line.replace(/;/g, delimiter)).join('\r\n') + '\r\n', 'utf8')]);
}

export function csvWindows1252(lines: string[]): Buffer {
  return iconv.encode(lines.join('\r\n') + '\r\n', 'win1252');
}

export async function xlsx(rows: Array<Array<ExcelJS.CellValue>>, options: { sheetName?: string; extraSheet?: boolean } = {}): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(options.sheetName ?? 'Leverantörer');
  for (const row of rows) sheet.addRow(row);
  if (options.extraSheet) workbook.addWorksheet('Instruktioner').addRow(['Kolumn', 'Innehåll']);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A zip of deflated entries; `declaredSize` overrides an entry's uncompressed size in both headers (a liar). */
export function zip(entries: Array<{ name: string; data: Buffer; declaredSize?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const compressed = deflateRawSync(entry.data);
    const size = entry.declaredSize ?? entry.data.length;
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, compressed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
