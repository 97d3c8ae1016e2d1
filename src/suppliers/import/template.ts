import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import { COLUMN_SPECS, IMPORT_FIELDS, templateHeaders } from './columns';

const HINTS: Record<'sv' | 'en', Record<string, string>> = {
  sv: {
    name: 'Leverantörens namn (obligatoriskt)',
    organisationNumber: 'Svenska leverantörer: organisationsnummer NNNNNN-NNNN. Utländska: momsregistreringsnummer (t.ex. DE123456789) eller annat id',
    identifierKind: 'Valfritt: organisationsnummer, moms, annat eller inget (tomt: läses av land och nummer)',
    country: 'Landskod (SE, DE …) eller landets namn (obligatoriskt)',
    sector: 'Bransch, fritext',
    tags: 'Taggar, åtskilda med komma',
    contactName: 'Kontaktpersonens namn (obligatoriskt)',
    contactEmail: 'Kontaktpersonens e-post (obligatoriskt); fler kontakter i kolumnerna ”Kontaktperson 2”, ”E-post 2”, ”Språk 2” …',
    contactLanguage: 'sv eller en (tomt: sv för svenska leverantörer, annars en)',
    siteName: 'Anläggning eller produktionsställe; fler med ”Anläggning 2” …',
    siteCountry: 'Anläggningens land (tomt: leverantörens land)',
    siteAddress: 'Anläggningens adress',
    siteProducts: 'Vad som tillverkas där',
  },
  en: {
    name: "The supplier's name (required)",
    organisationNumber: 'Swedish suppliers: organisationsnummer NNNNNN-NNNN. Foreign ones: VAT number (e.g. DE123456789) or another id',
    identifierKind: 'Optional: organisationsnummer, vat, other or none (empty: read from the country and the number)',
    country: "Country code (SE, DE …) or the country's name (required)",
    sector: 'Sector, free text',
    tags: 'Tags, separated by commas',
    contactName: "The contact person's name (required)",
    contactEmail: "The contact person's email (required); more contacts in the columns “Contact name 2”, “Email 2”, “Language 2” …",
    contactLanguage: 'sv or en (empty: sv for Swedish suppliers, en otherwise)',
    siteName: 'Site or factory; more with “Site 2” …',
    siteCountry: "The site's country (empty: the supplier's country)",
    siteAddress: "The site's address",
    siteProducts: 'What is made there',
  },
};

/**
 * The import template: the header row in one language. CSV is written as Swedish Excel's "CSV UTF-8" (BOM, `;`,
 * CRLF) so a double click opens it in columns; XLSX has a second sheet explaining each column.
 */
export async function writeTemplate(res: Response, format: 'csv' | 'xlsx', lang: 'sv' | 'en'): Promise<void> {
  const baseName = lang === 'sv' ? 'leverantorer-mall' : 'suppliers-template';
  const headers = templateHeaders(lang);
  if (format === 'csv') {
    res.attachment(`${baseName}.csv`).type('text/csv; charset=utf-8');
    res.send(`\ufeff${stringify([headers], { delimiter: ';', record_delimiter: '\r\n' })}`);
    return;
  }
  const { Workbook } = (await import('exceljs')).default;
  const workbook = new Workbook();
  const sheet = workbook.addWorksheet(lang === 'sv' ? 'Leverantörer' : 'Suppliers');
  sheet.addRow(headers).font = { bold: true };
  sheet.columns.forEach((column) => (column.width = 24));
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  const help = workbook.addWorksheet(lang === 'sv' ? 'Instruktioner' : 'Instructions');
  help.addRow([lang === 'sv' ? 'Kolumn' : 'Column', lang === 'sv' ? 'Innehåll' : 'Content']).font = { bold: true };
  for (const field of IMPORT_FIELDS) help.addRow([COLUMN_SPECS[field][lang], HINTS[lang][field] ?? '']);
  help.getColumn(1).width = 26;
  help.getColumn(2).width = 100;
  res.attachment(`${baseName}.xlsx`).type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  res.send(Buffer.from(await workbook.xlsx.writeBuffer()));
}
