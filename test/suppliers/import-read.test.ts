import assert from 'node:assert/strict';
import { parseImportFile } from '../../src/suppliers/import/parse-file';
import { readTable, TableError } from '../../src/suppliers/import/read-table';
import { csvUtf8, csvWindows1252, xlsx, zip } from './import-files';

async function failure(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof TableError, String(error));
    return error.code;
  }
  assert.fail('expected the file to be refused');
}

describe('reading import files', () => {
  it('When Excel saves "CSV UTF-8" (BOM, semicolons, CRLF), then the text and columns come through exactly', async () => {
    const table = await readTable(csvUtf8(['Namn;Land;Tillverkar', 'Åkes Möbler AB;SE;"Stolar; bord"', '"Kvalitet ""Premium"" AB";SE;"Rad ett', 'rad två"']));
    assert.equal(table.encoding, 'utf-8');
    assert.equal(table.delimiter, ';');
    assert.deepEqual(table.headers, ['Namn', 'Land', 'Tillverkar']);
    assert.deepEqual(table.rows, [
      { rowNumber: 2, cells: ['Åkes Möbler AB', 'SE', 'Stolar; bord'] },
      { rowNumber: 3, cells: ['Kvalitet "Premium" AB', 'SE', 'Rad ett\r\nrad två'] },
    ]);
  });

  it('When a "CSV UTF-8" file uses commas, then the separator is detected', async () => {
    const table = await readTable(csvUtf8(['Name,Country', '"Acme, Inc.",US'], ','));
    assert.equal(table.delimiter, ',');
    assert.deepEqual(table.rows[0]?.cells, ['Acme, Inc.', 'US']);
  });

  it('When Excel saves plain "CSV" (Windows-1252), then å ä ö € and – are read right', async () => {
    const table = await readTable(csvWindows1252(['Namn;Bransch', 'Ölandsgården – Kött & Chark AB;Livsmedel för 5 €']));
    assert.equal(table.encoding, 'windows-1252');
    assert.deepEqual(table.rows[0]?.cells, ['Ölandsgården – Kött & Chark AB', 'Livsmedel för 5 €']);
  });

  it('When Excel saves "Unicode text" (UTF-16 with BOM, tabs), then it is read too', async () => {
    const text = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Namn\tLand\r\nÄlvsby Trä AB\tSE\r\n', 'utf16le')]);
    const table = await readTable(text);
    assert.equal(table.delimiter, '\t');
    assert.deepEqual(table.rows[0]?.cells, ['Älvsby Trä AB', 'SE']);
  });

  it('When the file is not text in a known encoding, then it is refused with a reason', async () => {
    assert.equal(await failure(readTable(Buffer.from('Namn\nAB', 'utf16le'))), 'notText', 'UTF-16 without its BOM');
    assert.equal(await failure(readTable(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))), 'notText', 'a PNG');
    assert.equal(await failure(readTable(Buffer.from([0xef, 0xbb, 0xbf, 0x4e, 0xc3, 0x28]))), 'encoding', 'a BOM, then invalid UTF-8');
    assert.equal(await failure(readTable(Buffer.from('Namn;Land\r\nA\u0001B;SE\r\n'))), 'encoding', 'control characters');
    assert.equal(await failure(readTable(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))), 'legacyExcel');
    assert.equal(await failure(readTable(Buffer.alloc(0))), 'empty');
    assert.equal(await failure(readTable(csvUtf8(['Namn;Land']))), 'noRows');
  });

  it('When a CSV file has 100,000 rows, then it is refused without reading past the limit', async () => {
    const lines = ['Namn;Land', ...Array.from({ length: 100_000 }, (_, i) => `Leverantör ${i} AB;SE`)];
    assert.equal(await failure(readTable(csvUtf8(lines))), 'tooManyRows');
  });

  it('When a CSV line is endlessly long (a CSV bomb), then it is refused naming the row', async () => {
    const bomb = Buffer.from(`Namn;Land\r\n${'x'.repeat(4 * 1024 * 1024)};SE\r\n`);
    assert.equal(await failure(readTable(bomb)), 'recordTooLong');
    const unclosedQuote = Buffer.from(`Namn;Land\r\n"${'x;'.repeat(1_000_000)}\r\n`);
    assert.equal(await failure(readTable(unclosedQuote)), 'recordTooLong');
  });

  it('When an XLSX file has formula cells, then their cached values are taken and nothing is evaluated', async () => {
    const file = await xlsx(
      [
        ['Namn', 'Organisationsnummer', 'Land', 'Antal'],
        [{ formula: 'CONCATENATE("Formel ","AB")', result: 'Formel AB' }, 5566778899, 'SE', { formula: '1+1', result: 2 }],
        ['=HYPERLINK("http://evil.example","click")', '556677-8899', { richText: [{ text: 'S' }, { text: 'E' }] }, { formula: 'NOW()' }],
      ],
      { extraSheet: true },
    );
    const table = await readTable(file);
    assert.equal(table.format, 'xlsx');
    assert.equal(table.sheetName, 'Leverantörer');
    assert.deepEqual(table.rows.map((row) => row.cells), [
      ['Formel AB', '5566778899', 'SE', '2'],
      ['=HYPERLINK("http://evil.example","click")', '556677-8899', 'SE', ''],
    ]);
  });

  it('When a zip bomb poses as XLSX, then it is refused before exceljs sees it, whether it declares its size or lies', async () => {
    const zeros = Buffer.alloc(60 * 1024 * 1024);
    const honest = zip([{ name: '[Content_Types].xml', data: Buffer.from('<Types/>') }, { name: 'xl/worksheets/sheet1.xml', data: zeros }]);
    assert.ok(honest.length < 200_000, `the bomb is small: ${honest.length} bytes`);
    assert.equal(await failure(readTable(honest)), 'xlsxTooBig');
    // Declares 1,000 bytes and inflates to 2 MB: stopped when the inflated bytes pass the declared size.
    const liar = zip([{ name: 'xl/worksheets/sheet1.xml', data: zeros.subarray(0, 2 * 1024 * 1024), declaredSize: 1000 }]);
    assert.equal(await failure(readTable(liar)), 'xlsxTooBig');
    const garbage = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100, 7)]);
    assert.equal(await failure(readTable(garbage)), 'xlsxInvalid');
  });

  it('When an XLSX sheet has 100,000 rows, then it is refused by counting rows before exceljs builds them', async () => {
    const rows = Array.from({ length: 100_001 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}" t="inlineStr"><is><t>x</t></is></c></row>`).join('');
    const sheet = Buffer.from(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`);
    assert.equal(await failure(readTable(zip([{ name: 'xl/worksheets/sheet1.xml', data: sheet }]))), 'tooManyRows');
  });

  it('When a file is parsed through the worker, then the app gets the table, or the refusal with its reason', async () => {
    const table = await parseImportFile(csvUtf8(['Namn;Land', 'Worker AB;SE']));
    assert.deepEqual(table.rows[0]?.cells, ['Worker AB', 'SE']);
    assert.equal(await failure(parseImportFile(Buffer.from('Namn\nAB', 'utf16le'))), 'notText');
    assert.equal(await failure(parseImportFile(Buffer.alloc(6 * 1024 * 1024, 0x61))), 'tooLarge');
  });
});
