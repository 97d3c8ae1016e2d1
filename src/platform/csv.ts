/**
 * CSV for people who open it in Excel: UTF-8 with a byte-order mark (so Excel reads å, ä, ö right), the list
 * separator Excel expects for the reader's language (`;` in Swedish Excel, `,` in English), and every cell that
 * Excel would take for a formula neutralised.
 */
import type { Response } from 'express';
import { stringify } from 'csv-stringify';
import type { Lang } from './i18n';

const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell beginning with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so Excel shows it as text. */
export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function csvDelimiter(lang: Lang): string {
  return lang === 'sv' ? ';' : ',';
}

/** Sends `rows` (the first one the header) as a CSV download, streamed as they come. */
export async function sendCsv(res: Response, filename: string, lang: Lang, rows: AsyncIterable<string[]> | Iterable<string[]>): Promise<void> {
  res.status(200);
  res.type('text/csv; charset=utf-8');
  res.set('Content-Disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  res.set('Cache-Control', 'no-store');
  const csv = stringify({ delimiter: csvDelimiter(lang), bom: true, record_delimiter: 'windows', quoted_string: false });
  csv.pipe(res);
  for await (const row of rows) {
    if (!csv.write(row.map(neutraliseFormula))) await new Promise((resolve) => csv.once('drain', resolve));
  }
  await new Promise<void>((resolve, reject) => {
    res.once('finish', resolve);
    res.once('error', reject);
    csv.end();
  });
}
