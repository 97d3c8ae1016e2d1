/**
 * What the buyer's response pages show, computed from the records in the reader's language, so the views only lay
 * things out: the response (now, or one of its submissions), its history, and a comparison.
 */
import type { ActivityEntry, Actor } from '../platform/activity';
import { formatDateTime, type Lang, type Translate } from '../platform/i18n';
import { countryName, type Question } from '../questionnaires';
import { answerSections, fileView, filesOf, flagView, type AnswerSectionView, type AnswerSet, type FileView, type FlagView } from './answer-set';
import { stateOf, type BuyerResponse, type ComparisonCandidate, type ResponseState } from './buyer-service';
import type { ChangeKind, Comparison, NotComparableReason } from './compare';
import { severityCounts } from './flags';
import type { SubmissionData } from './submission-model';
import { formatAnswer } from './view-model';

export function responsePath(responseId: string): string {
  return `/responses/${responseId}`;
}

function fileHrefOf(responseId: string): (fileId: string) => string {
  return (fileId) => `${responsePath(responseId)}/files/${fileId}`;
}

export function actorName(actor: Actor, t: Translate): string {
  if (actor.kind === 'system') return t('responses:history.system');
  if (actor.kind === 'api') return t('responses:history.apiToken', { name: actor.name ?? '' });
  if (actor.kind === 'supplier') return t('responses:history.supplier', { name: actor.name ?? '' });
  return actor.name ?? '';
}

export interface HistoryItem {
  at: string;
  who: string;
  what: string;
  message: string | undefined;
}

export function historyItems(entries: ActivityEntry[], lang: Lang, t: Translate): HistoryItem[] {
  return entries.map((entry) => ({
    at: formatDateTime(lang, entry.at),
    who: actorName(entry.actor, t),
    what: t(`responses:history.actions.${entry.action.replace(/\./g, '_')}`, { defaultValue: entry.action, ...entry.details }),
    message: entry.action === 'response.reopened' && typeof entry.details.message === 'string' ? entry.details.message : undefined,
  }));
}

export interface SubmissionRow {
  number: number;
  submittedAt: string;
  declaredBy: string;
  href: string;
  viewing: boolean;
}

/** What every view of one response shows above and beside its answers. */
export function responseHeader(record: BuyerResponse, lang: Lang, t: Translate, viewing: SubmissionData | undefined) {
  const { response, definition, supplier, campaign } = record;
  const id = response._id.toHexString();
  const state: ResponseState = stateOf(response);
  const declaration = viewing?.declaration ?? (response.status === 'submitted' ? response.declaration : undefined) ?? undefined;
  return {
    responseId: id,
    path: responsePath(id),
    supplier: supplier ? { ...supplier, countryName: countryName(supplier.country, lang) ?? supplier.country } : undefined,
    campaign,
    questionnaireTitle: definition.title[lang],
    questionnaireRef: `${definition.id}@${definition.version}`,
    state,
    startedAt: formatDateTime(lang, response.createdAt),
    updatedAt: formatDateTime(lang, response.updatedAt),
    submittedAt: formatDateTime(lang, viewing?.submittedAt ?? (response.status === 'submitted' ? response.submittedAt : undefined)),
    lastSubmittedAt: formatDateTime(lang, response.lastSubmittedAt ?? undefined),
    declaration: declaration?.name ? `${declaration.name}, ${declaration.role}` : undefined,
    changeRequest: response.changeRequest
      ? { message: response.changeRequest.message, at: formatDateTime(lang, response.changeRequest.requestedAt), by: response.changeRequest.requestedBy?.name ?? '' }
      : undefined,
    submissions: record.submissions.map((s): SubmissionRow => ({
      number: s.number,
      submittedAt: formatDateTime(lang, s.submittedAt),
      declaredBy: `${s.declaration.name}, ${s.declaration.role}`,
      href: `${responsePath(id)}/submissions/${s.number}`,
      viewing: viewing?.number === s.number,
    })),
    viewing: viewing ? { number: viewing.number, total: record.submissions.length, submittedAt: formatDateTime(lang, viewing.submittedAt) } : undefined,
  };
}

export interface AnswersView {
  sections: AnswerSectionView[];
  flags: FlagView[];
  flagCounts: ReturnType<typeof severityCounts>;
  /** The published rules the flags come from, with the page that shows them. */
  rules: { text: string; href: string } | undefined;
}

export function answersView(record: BuyerResponse, set: AnswerSet, lang: Lang, t: Translate): AnswersView {
  const { definition, rulesVersion } = set;
  return {
    sections: answerSections(set, lang, t, fileHrefOf(record.response._id.toHexString())),
    flags: set.flags.map((mark) => flagView(mark, lang, t)),
    flagCounts: severityCounts(set.flags),
    rules:
      rulesVersion === undefined
        ? undefined
        : {
            text: t('responses:flags.rules', { title: definition.title[lang], version: definition.version, rulesVersion }),
            href: `/rules/${definition.id}/${definition.version}/rules/${rulesVersion}`,
          },
  };
}

function candidateLabel(candidate: ComparisonCandidate, lang: Lang, t: Translate): string {
  const when = formatDateTime(lang, candidate.submittedAt);
  return candidate.sameResponse
    ? t('responses:compare.sameResponseCandidate', { number: candidate.number, when })
    : t('responses:compare.otherCampaignCandidate', { campaign: candidate.campaignName ?? '', number: candidate.number, when });
}

export function candidateOptions(candidates: ComparisonCandidate[], chosen: SubmissionData | undefined, lang: Lang, t: Translate) {
  return candidates.map((c) => ({
    value: c.key,
    label: candidateLabel(c, lang, t),
    selected: chosen !== undefined && chosen.responseId.equals(c.responseId) && chosen.number === c.number,
  }));
}

export interface ChangeRow {
  questionId: string;
  label: string;
  section: string;
  kind: ChangeKind;
  before: string | undefined;
  after: string | undefined;
  filesBefore: FileView[];
  filesAfter: FileView[];
}

function shownAnswer(set: AnswerSet, question: Question, lang: Lang, t: Translate): string | undefined {
  if (question.type === 'evidence' || !set.visibility.isQuestionVisible(question)) return undefined;
  return formatAnswer(question, set.answers[question.id], lang, t);
}

/** The comparison in the reader's language: rows of changed (and, with `all`, unchanged) answers, flags, the rest. */
export function comparisonView(
  comparison: Comparison,
  sets: { subject: AnswerSet; baseline: AnswerSet; subjectResponseId: string; baselineResponseId: string },
  lang: Lang,
  t: Translate,
  all: boolean,
) {
  const sectionTitle = new Map(sets.subject.definition.sections.flatMap((s) => s.questions.map((q) => [q.id, s.title[lang]] as const)));
  const rows = comparison.changes
    .filter((change) => all || change.kind !== 'unchanged')
    .map((change): ChangeRow => ({
      questionId: change.questionId,
      label: change.question.label[lang],
      section: sectionTitle.get(change.questionId) ?? '',
      kind: change.kind,
      before: shownAnswer(sets.baseline, change.baselineQuestion, lang, t),
      after: shownAnswer(sets.subject, change.question, lang, t),
      filesBefore: filesOf(sets.baseline, change.questionId).map((f) => fileView(f, lang, `${responsePath(sets.baselineResponseId)}/files/${f.fileId.toHexString()}`)),
      filesAfter: filesOf(sets.subject, change.questionId).map((f) => fileView(f, lang, `${responsePath(sets.subjectResponseId)}/files/${f.fileId.toHexString()}`)),
    }));
  const reasonText = (reason: NotComparableReason) => t(`responses:compare.reasons.${reason}`);
  return {
    sameVersion: comparison.sameVersion,
    subjectVersion: `${sets.subject.definition.id}@${sets.subject.definition.version}`,
    baselineVersion: `${sets.baseline.definition.id}@${sets.baseline.definition.version}`,
    rows,
    changedCount: comparison.changes.filter((c) => c.kind !== 'unchanged').length,
    unchangedCount: comparison.changes.filter((c) => c.kind === 'unchanged').length,
    notComparable: comparison.notComparable.map((n) => ({
      questionId: n.questionId,
      label: n.question.label[lang],
      reason: reasonText(n.reason),
      answered: n.answered,
    })),
    flagsGained: comparison.flagsGained.map((f) => flagView(f, lang, t)),
    flagsLost: comparison.flagsLost.map((f) => flagView(f, lang, t)),
    flagsKept: comparison.flagsKept.map((f) => flagView(f, lang, t)),
  };
}
