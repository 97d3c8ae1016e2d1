/**
 * A campaign's answers as a table: one row per supplier (its latest submission in the campaign), one column per
 * question, headers and values in Swedish or English, written as CSV or XLSX. Rows are read from the database in
 * chunks and streamed to the client, so a campaign of 10,000 suppliers never builds one large string or workbook in
 * memory. Text cells that a spreadsheet could take for a formula are neutralised in both formats.
 */
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import mongoose from 'mongoose';
import { z } from 'zod';
import { getCampaign } from '../campaigns';
import type { AppDeps } from '../deps';
import { recordActivity, ref, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { INTL_LOCALES, type Lang, type Translate } from '../platform/i18n';
import { allQuestions, countryName, type Question, type QuestionnaireDefinition } from '../questionnaires';
import { supplierModel } from '../suppliers';
import { answerSetOf, filesOf, type AnswerSet } from './answer-set';
import { definitionOf, toObjectId } from './buyer-service';
import { responseModel, type ResponseData } from './model';
import { submissionModel, type SubmissionData } from './submission-model';
import { formatAnswer } from './view-model';

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const exportOptionsInput = z.object({
  /** Language of the headers and the values. */
  language: z.enum(['sv', 'en']).optional(),
  /** CSV only. Default: semicolon for Swedish (what Swedish Excel expects), comma for English. */
  delimiter: z.enum(['comma', 'semicolon']).optional(),
  /** `ids`: question ids as headers (stable across languages and versions), for programs reading the file. */
  columns: z.enum(['labels', 'ids']).default('labels'),
});
export type ExportOptions = z.output<typeof exportOptionsInput>;

/** A typed cell; each format writes it its own way. */
export type Cell = { text: string } | { number: number } | { date: string } | null;

export interface CampaignExport {
  campaignName: string;
  language: Lang;
  headers: string[];
  /** Suppliers with a submission, one row each. */
  rowCount: number;
  rows: AsyncIterable<Cell[]>;
}

/** Suppliers whose responses are read per database round trip. */
const CHUNK = 200;

/** A spreadsheet would run a cell starting with one of these as a formula (or part of one). */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralise(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

interface SupplierRow {
  _id: mongoose.Types.ObjectId;
  name: string;
  organisationNumber: string;
  country: string;
}

type Column = { header: string; id: string; cell: (row: ExportRow) => Cell };

interface ExportRow {
  supplier: SupplierRow;
  response: ResponseData;
  submission: SubmissionData | undefined;
  set: AnswerSet;
  submittedAt: Date | undefined;
  submissionNumber: number;
  declaration: { name: string; role: string };
}

function text(value: string | undefined): Cell {
  return value === undefined || value === '' ? null : { text: value };
}

function answerCell(question: Question, row: ExportRow, lang: Lang, t: Translate): Cell {
  const { set } = row;
  if (!set.visibility.isQuestionVisible(question)) return null;
  if (question.type === 'evidence') return text(filesOf(set, question.id).map((f) => f.filename).join('; '));
  const value = set.answers[question.id];
  if (value === undefined) return null;
  if (typeof value === 'number') return { number: value };
  if (question.type === 'date' && typeof value === 'string') return { date: value };
  return text(formatAnswer(question, value, lang, t));
}

/** Sortable, and read as a date by spreadsheets in either language: 2026-01-15 10:00 (Swedish time). */
const dateTimeFormat = new Intl.DateTimeFormat(INTL_LOCALES.sv, { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Stockholm' });

function columnsOf(definition: QuestionnaireDefinition, lang: Lang, t: Translate, options: ExportOptions): Column[] {
  const fixed: Column[] = [
    { id: 'supplier_name', header: t('responses:export.columns.supplier'), cell: (r) => text(r.supplier.name) },
    { id: 'organisation_number', header: t('responses:export.columns.organisationNumber'), cell: (r) => text(r.supplier.organisationNumber) },
    { id: 'supplier_country', header: t('responses:export.columns.country'), cell: (r) => text(countryName(r.supplier.country, lang) ?? r.supplier.country) },
    { id: 'response_id', header: t('responses:export.columns.responseId'), cell: (r) => text(r.response._id.toHexString()) },
    { id: 'submission_number', header: t('responses:export.columns.submission'), cell: (r) => ({ number: r.submissionNumber }) },
    { id: 'submitted_at', header: t('responses:export.columns.submittedAt'), cell: (r) => text(r.submittedAt && dateTimeFormat.format(r.submittedAt)) },
    { id: 'declared_by', header: t('responses:export.columns.declaredBy'), cell: (r) => text(r.declaration.name) },
    { id: 'declared_role', header: t('responses:export.columns.declaredRole'), cell: (r) => text(r.declaration.role) },
    {
      id: 'red_flags',
      header: t('responses:export.columns.flags'),
      cell: (r) => text(r.set.flags.map((f) => `${t(`rules:severity.${f.severity}`)}: ${f.title[lang]}`).join('; ')),
    },
  ];
  const questions: Column[] = allQuestions(definition).flatMap((question) => {
    const answer: Column = { id: question.id, header: question.label[lang], cell: (r) => answerCell(question, r, lang, t) };
    if (question.type === 'evidence' || !question.evidence) return [answer];
    const documents: Column = {
      id: `${question.id}__documents`,
      header: t('responses:export.columns.documents', { label: question.label[lang] }),
      cell: (r) => text(filesOf(r.set, question.id).map((f) => f.filename).join('; ')),
    };
    return [answer, documents];
  });
  const columns = [...fixed, ...questions];
  if (options.columns === 'ids') return columns.map((c) => ({ ...c, header: c.id }));
  // Two questions may share a label; the id tells them apart.
  const counts = new Map<string, number>();
  for (const c of columns) counts.set(c.header, (counts.get(c.header) ?? 0) + 1);
  return columns.map((c) => ((counts.get(c.header) ?? 0) > 1 ? { ...c, header: `${c.header} (${c.id})` } : c));
}

const submittedFilter = { $or: [{ status: 'submitted' }, { submissionCount: { $gt: 0 } }] };

function submittedAtOf(response: ResponseData): Date | undefined {
  return (response.status === 'submitted' ? response.submittedAt : undefined) ?? response.lastSubmittedAt ?? undefined;
}

/** The supplier's latest submission among its responses in the campaign (a supplier may have answered through two links). */
function latestOf(responses: ResponseData[]): ResponseData | undefined {
  return responses.reduce<ResponseData | undefined>((best, r) => {
    const at = submittedAtOf(r)?.getTime() ?? 0;
    return !best || at > (submittedAtOf(best)?.getTime() ?? 0) ? r : best;
  }, undefined);
}

async function* exportRows(
  deps: Pick<AppDeps, 'connection' | 'questionnaires'>,
  filter: mongoose.mongo.Filter<mongoose.mongo.Document>,
  suppliers: SupplierRow[],
  columns: Column[],
): AsyncGenerator<Cell[]> {
  const Responses = responseModel(deps.connection).collection;
  const Submissions = submissionModel(deps.connection).collection;
  for (let start = 0; start < suppliers.length; start += CHUNK) {
    const chunk = suppliers.slice(start, start + CHUNK);
    const responses = await Responses.find<ResponseData>({ ...filter, supplierId: { $in: chunk.map((s) => s._id) } }).toArray();
    const bySupplier = new Map<string, ResponseData[]>();
    for (const r of responses) bySupplier.set(r.supplierId.toHexString(), [...(bySupplier.get(r.supplierId.toHexString()) ?? []), r]);
    const latest = new Map(chunk.map((s) => [s._id.toHexString(), latestOf(bySupplier.get(s._id.toHexString()) ?? [])]));
    // Reopened for changes: the row shows what was last submitted, not the draft being edited.
    const reopened = [...latest.values()].filter((r): r is ResponseData => r !== undefined && r.status !== 'submitted');
    const snapshots = reopened.length === 0
      ? []
      : await Submissions.find<SubmissionData>({ $or: reopened.map((r) => ({ responseId: r._id, number: r.submissionCount ?? 1 })) }).toArray();
    const snapshotOf = new Map(snapshots.map((s) => [s.responseId.toHexString(), s]));
    for (const supplier of chunk) {
      const response = latest.get(supplier._id.toHexString());
      if (!response) continue;
      const submission = response.status === 'submitted' ? undefined : snapshotOf.get(response._id.toHexString());
      if (response.status !== 'submitted' && !submission) continue;
      const source = submission ?? response;
      const row: ExportRow = {
        supplier,
        response,
        submission,
        set: answerSetOf(deps, definitionOf(deps, source), source),
        submittedAt: submission?.submittedAt ?? submittedAtOf(response),
        submissionNumber: submission?.number ?? Math.max(1, response.submissionCount ?? 0),
        declaration: submission?.declaration ?? response.declaration ?? { name: '', role: '' },
      };
      yield columns.map((column) => column.cell(row));
    }
  }
}

export interface ExportCall {
  organisationId: string | mongoose.Types.ObjectId;
  campaignId: string;
  format: ExportFormat;
  options: ExportOptions;
  /** The language when `options.language` is not given: the user's. */
  defaultLanguage: Lang;
  actor: Actor;
  /** Where the export was asked for, for the activity log. */
  via: 'page' | 'api';
}

/** Everything needed to write the export, after logging who exported what. 404 for another organisation's campaign. */
export async function prepareCampaignExport(deps: Pick<AppDeps, 'connection' | 'questionnaires' | 'i18n' | 'clock'>, call: ExportCall): Promise<CampaignExport> {
  const organisationId = toObjectId(call.organisationId);
  const campaign = await getCampaign(deps.connection, organisationId, toObjectId(call.campaignId, 'responses:errors.campaignNotFound'));
  if (!campaign) throw new HttpError(404, 'responses:errors.campaignNotFound');
  const definition = definitionOf(deps, campaign);
  const lang = call.options.language ?? call.defaultLanguage;
  const t = deps.i18n.getFixedT(lang) as unknown as Translate;
  const filter = { organisationId, campaignId: campaign._id, ...submittedFilter };
  const supplierIds = await responseModel(deps.connection).collection.distinct('supplierId', filter);
  const collator = new Intl.Collator(INTL_LOCALES[lang]);
  const suppliers = (
    await supplierModel(deps.connection)
      .collection.find<SupplierRow>({ organisationId, _id: { $in: supplierIds } }, { projection: { name: 1, organisationNumber: 1, country: 1 } })
      .toArray()
  ).sort((a, b) => collator.compare(a.name, b.name));
  const columns = columnsOf(definition, lang, t, call.options);
  await recordActivity(deps.connection, {
    organisationId,
    actor: call.actor,
    action: 'export.campaign_answers',
    subject: ref('campaign', campaign._id),
    details: { format: call.format, language: lang, rows: suppliers.length, via: call.via },
    at: deps.clock.now(),
  });
  return { campaignName: campaign.name, language: lang, headers: columns.map((c) => c.header), rowCount: suppliers.length, rows: exportRows(deps, filter, suppliers, columns) };
}

/** A download name from the campaign's name: letters, digits and dashes only, so it is safe on every system. */
export function exportFilename(campaignName: string, at: Date, extension: string): string {
  const base = campaignName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return `${base || 'campaign'}-${at.toISOString().slice(0, 10)}.${extension}`;
}

function csvValue(cell: Cell, lang: Lang): string {
  if (cell === null) return '';
  if ('number' in cell) return lang === 'sv' ? String(cell.number).replace('.', ',') : String(cell.number);
  if ('date' in cell) return cell.date;
  return neutralise(cell.text);
}

/** The export as CSV (UTF-8 with a BOM, CRLF line ends, so Excel opens it right), streamed to `out`. */
export async function writeCsv(out: Writable, exported: CampaignExport, delimiter: ExportOptions['delimiter']): Promise<void> {
  const separator = (delimiter ?? (exported.language === 'sv' ? 'semicolon' : 'comma')) === 'semicolon' ? ';' : ',';
  async function* records(): AsyncGenerator<string[]> {
    yield exported.headers.map(neutralise);
    for await (const row of exported.rows) yield row.map((cell) => csvValue(cell, exported.language));
  }
  await pipeline(Readable.from(records()), stringify({ bom: true, delimiter: separator, record_delimiter: 'windows' }), out);
}

function xlsxValue(cell: Cell): ExcelJS.CellValue {
  if (cell === null) return null;
  if ('number' in cell) return cell.number;
  if ('date' in cell) return new Date(`${cell.date}T00:00:00Z`);
  return neutralise(cell.text);
}

/** The export as an XLSX workbook with one sheet, streamed to `out` row by row. */
export async function writeXlsx(out: Writable, exported: CampaignExport, sheetName: string): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  const header = sheet.addRow(exported.headers.map(neutralise));
  header.font = { bold: true };
  header.commit();
  for await (const cells of exported.rows) {
    const row = sheet.addRow(cells.map(xlsxValue));
    cells.forEach((cell, index) => {
      if (cell !== null && 'date' in cell) row.getCell(index + 1).numFmt = 'yyyy-mm-dd';
    });
    row.commit();
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  sheet.commit();
  await workbook.commit();
}
