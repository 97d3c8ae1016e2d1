/**
 * One set of answers as the buyer reads it: the response as it is now, or one of its submissions. Everything the
 * buyer's pages, exports, comparison and the API show is computed from an answer set, so they never disagree.
 */
import {
  computeVisibility,
  countryName,
  formatBytes,
  type Answers,
  type Locale,
  type Question,
  type QuestionnaireDefinition,
  type Visibility,
} from '../questionnaires';
import type { Translate } from '../platform/i18n';
import { flagMarks, flagsByQuestion, type FlagDeps, type FlagMark } from './flags';
import type { EvidenceRef, ResponseData } from './model';
import { answersOf } from './service';
import type { SubmissionData } from './submission-model';
import { formatAnswer } from './view-model';

export interface AnswerSet {
  definition: QuestionnaireDefinition;
  answers: Answers;
  evidence: EvidenceRef[];
  visibility: Visibility;
  flags: FlagMark[];
  /** The rules version the flags come from; undefined when none is published for the questionnaire version. */
  rulesVersion: number | undefined;
}

export function answerSetOf(deps: FlagDeps, definition: QuestionnaireDefinition, record: Pick<ResponseData, 'answers' | 'evidence'> | SubmissionData): AnswerSet {
  const answers = answersOf(record, definition);
  const visibility = computeVisibility(definition, answers);
  const shown = new Set(visibility.visibleQuestions().map((q) => q.id));
  const flags = flagMarks(deps, definition, answers, (id) => shown.has(id));
  const rulesVersion = deps.questionnaires.currentRuleSet(definition.id, definition.version)?.version;
  return { definition, answers, evidence: record.evidence, visibility, flags, rulesVersion };
}

/** Files stored for a question: the answer of an evidence question, or the documents asked for beside another answer. */
export function filesOf(set: AnswerSet, questionId: string): EvidenceRef[] {
  return set.evidence.filter((ref) => ref.questionId === questionId);
}

export interface FileView {
  fileId: string;
  filename: string;
  size: string;
  type: string;
  href: string;
}

export interface FlagView {
  id: string;
  severity: FlagMark['severity'];
  severityLabel: string;
  title: string;
  rationale: string;
  followUp: string;
  /** "ILO forced-labour indicator 7: Retention of identity documents", then conventions ("ILO C29: Forced Labour …"). */
  bearsOn: string[];
  /** What the rule compared the answers with ("Minimum working age in Bangladesh: 14 years (source)"). */
  comparedWith: string[];
  questionIds: string[];
}

export interface AnswerItemView {
  id: string;
  label: string;
  type: Question['type'];
  /** The answer as text; undefined when not answered (evidence questions are answered by `files`). */
  answer: string | undefined;
  files: FileView[];
  flags: FlagView[];
}

export interface AnswerSectionView {
  id: string;
  title: string;
  items: AnswerItemView[];
}

export function flagView(mark: FlagMark, lang: Locale, t: Translate): FlagView {
  return {
    id: mark.id,
    severity: mark.severity,
    severityLabel: t(`rules:severity.${mark.severity}`),
    title: mark.title[lang],
    rationale: mark.rationale[lang],
    followUp: t(`rules:followUp.${mark.followUp}`),
    bearsOn: [
      ...mark.indicators.map((n) => t('responses:flags.indicator', { number: n, name: t(`rules:indicators.${n}`) })),
      ...mark.conventions.map((code) => t('responses:flags.convention', { code, name: t(`rules:conventions.${code}`) })),
    ],
    comparedWith: mark.context.map((c) =>
      t(c.fallback ? 'responses:flags.minimumAgeFallback' : 'responses:flags.minimumAge', {
        country: countryName(c.country, lang) ?? c.country,
        age: c.age,
        source: c.source.title,
      }),
    ),
    questionIds: mark.questionIds,
  };
}

export function fileView(ref: EvidenceRef, lang: Locale, href: string): FileView {
  return { fileId: ref.fileId.toHexString(), filename: ref.filename, size: formatBytes(ref.size, lang), type: ref.detectedType.toUpperCase(), href };
}

/**
 * Every visible question section by section, answered or not, with its files and the flags marked on it, in the
 * reader's language. `fileHref` gives the download address of a stored file.
 */
export function answerSections(set: AnswerSet, lang: Locale, t: Translate, fileHref: (fileId: string) => string): AnswerSectionView[] {
  const byQuestion = flagsByQuestion(set.flags);
  return set.definition.sections
    .filter((section) => set.visibility.isSectionVisible(section))
    .map((section) => ({
      id: section.id,
      title: section.title[lang],
      items: set.visibility.visibleQuestions(section).map((question) => ({
        id: question.id,
        label: question.label[lang],
        type: question.type,
        answer: question.type === 'evidence' ? undefined : formatAnswer(question, set.answers[question.id], lang, t),
        files: filesOf(set, question.id).map((ref) => fileView(ref, lang, fileHref(ref.fileId.toHexString()))),
        flags: (byQuestion.get(question.id) ?? []).map((mark) => flagView(mark, lang, t)),
      })),
    }))
    .filter((section) => section.items.length > 0);
}
