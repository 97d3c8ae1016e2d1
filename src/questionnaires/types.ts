/**
 * Questionnaire definitions as data: the shapes a YAML file under `questionnaires/` is parsed into.
 * The zod schema in `schema.ts` produces exactly these types; `questionnaires/README.md` documents them for buyers.
 */

export const LOCALES = ['sv', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** Every text a supplier or buyer can see exists in Swedish and English. */
export interface Localized {
  sv: string;
  en: string;
}

export const QUESTION_TYPES = [
  'yes_no',
  'single_choice',
  'multiple_choice',
  'number',
  'integer',
  'percentage',
  'date',
  'short_text',
  'long_text',
  'country',
  'evidence',
] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

/**
 * ILO instruments a question or rule may name: the fundamental conventions (forced labour, child labour, association,
 * discrimination) and those the rules need for wages, hours, recruitment, safety and harassment.
 */
export const CONVENTIONS = [
  'C29',
  'C105',
  'P29',
  'C138',
  'C182',
  'C87',
  'C98',
  'C100',
  'C111',
  'C1',
  'C14',
  'C95',
  'C131',
  'C155',
  'C181',
  'C190',
] as const;
export type Convention = (typeof CONVENTIONS)[number];

/** ILO forced-labour indicators, numbered 1–11 as in ILO's list. */
export type ForcedLabourIndicator = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11;
export const FORCED_LABOUR_INDICATORS: readonly ForcedLabourIndicator[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

export const TOPICS = [
  'company_profile',
  'forced_labour',
  'migrant_workers',
  'recruitment',
  'housing',
  'child_labour',
  'freedom_of_association',
  'non_discrimination',
  'grievance',
  'working_hours',
  'wages',
  'health_safety',
  'environment',
  'anti_corruption',
  'management_system',
  'supply_chain',
  'serious_deviations',
] as const;
export type Topic = (typeof TOPICS)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const EVIDENCE_KINDS = ['pdf', 'jpeg', 'png', 'docx', 'xlsx'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export const YES_NO_VALUES = ['yes', 'no'] as const;
export type YesNo = (typeof YES_NO_VALUES)[number];

/**
 * Conditional display (`show_if`). A leaf compares the (visible) answer of an earlier question; a question that is
 * hidden or unanswered has no value, so every leaf except `not` around it is false for it. Rules use the larger
 * `RuleCondition` below.
 */
export type Condition =
  | { question: string; equals: string | number }
  | { question: string; in: Array<string | number> }
  | { question: string; gt: number }
  | { question: string; gte: number }
  | { question: string; lt: number }
  | { question: string; lte: number }
  | { question: string; includes: string }
  | { answered: string }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export interface Tags {
  /** ILO forced-labour indicators (1–11) the question bears on. */
  indicators?: ForcedLabourIndicator[];
  conventions?: Convention[];
  topics?: Topic[];
}

/** The documents a question asks for, either as its whole answer (type `evidence`) or attached to another answer. */
export interface EvidenceSpec {
  accept: EvidenceKind[];
  maxBytes: number;
  maxFiles: number;
  /** What document is asked for, when the label alone does not say it. */
  request?: Localized;
}

interface QuestionBase {
  id: string;
  label: Localized;
  help?: Localized;
  required: boolean;
  show_if?: Condition;
  /** On a non-evidence question: documents requested alongside the answer ("evidence requested"). */
  evidence?: EvidenceSpec;
  tags?: Tags;
}

export interface ChoiceOption {
  id: string;
  label: Localized;
  /** In a multiple choice: this option ("none of these") cannot be combined with others. */
  exclusive?: boolean;
}

export interface YesNoQuestion extends QuestionBase {
  type: 'yes_no';
}
export interface SingleChoiceQuestion extends QuestionBase {
  type: 'single_choice';
  options: ChoiceOption[];
}
export interface MultipleChoiceQuestion extends QuestionBase {
  type: 'multiple_choice';
  options: ChoiceOption[];
}
export interface NumericQuestion extends QuestionBase {
  type: 'number' | 'integer' | 'percentage';
  unit?: Localized;
  min?: number;
  max?: number;
  step?: number;
}
export interface DateQuestion extends QuestionBase {
  type: 'date';
  /** ISO date (YYYY-MM-DD) or `today`. */
  min?: string;
  max?: string;
}
export interface TextQuestion extends QuestionBase {
  type: 'short_text' | 'long_text';
  maxLength: number;
}
export interface CountryQuestion extends QuestionBase {
  type: 'country';
}
export interface EvidenceQuestion extends QuestionBase {
  type: 'evidence';
  evidence: EvidenceSpec;
}

export type Question =
  | YesNoQuestion
  | SingleChoiceQuestion
  | MultipleChoiceQuestion
  | NumericQuestion
  | DateQuestion
  | TextQuestion
  | CountryQuestion
  | EvidenceQuestion;

export interface Section {
  id: string;
  title: Localized;
  intro?: Localized;
  /** Hides the whole section; may refer only to questions of earlier sections. */
  show_if?: Condition;
  questions: Question[];
}

export interface QuestionnaireDefinition {
  id: string;
  version: number;
  status: 'published' | 'draft';
  title: Localized;
  description?: Localized;
  sections: Section[];
}

/** A file already stored for an evidence answer; content checks happen at upload, here only the metadata. */
export interface EvidenceFile {
  fileId: string;
  filename: string;
  size: number;
  contentType: string;
}

/**
 * yes_no → 'yes' | 'no'; single_choice and country → the option id / ISO code; multiple_choice → option ids;
 * number, integer, percentage → number; date → 'YYYY-MM-DD'; texts → trimmed string; evidence → stored files.
 */
export type AnswerValue = string | number | string[] | EvidenceFile[];
export type Answers = Record<string, AnswerValue | undefined>;

/** What a triggered rule calls for, from the lightest to the heaviest follow-up. */
export const FOLLOW_UPS = ['desk_review', 'desk_audit', 'on_site_audit', 'unannounced_on_site_audit'] as const;
export type FollowUp = (typeof FOLLOW_UPS)[number];

/** Another answer, compared with the leaf's answer. */
export interface AnswerReference {
  question: string;
}
/** The legal minimum working age of the country given as the answer to a `country` question (country context). */
export interface MinimumWorkingAgeReference {
  minimum_working_age_of: string;
}
export type NumberOperand = number | AnswerReference | MinimumWorkingAgeReference;
export type ScalarOperand = string | number | AnswerReference;

export const COMPARISONS = ['gt', 'gte', 'lt', 'lte'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** How many of a `count` group's conditions must hold. */
export type CountComparison = { gt: number } | { gte: number } | { lt: number } | { lte: number } | { equals: number };

/**
 * A rule's condition: the display conditions, plus comparisons with another answer or with country context and
 * `count` (how many of several conditions hold). Rules may read any question, earlier or later; hidden and
 * unanswered questions have no value, as in `show_if`.
 */
export type RuleCondition =
  | { question: string; equals: ScalarOperand }
  | { question: string; in: Array<string | number> }
  | { question: string; gt: NumberOperand }
  | { question: string; gte: NumberOperand }
  | { question: string; lt: NumberOperand }
  | { question: string; lte: NumberOperand }
  | { question: string; includes: string }
  | { answered: string }
  | { all: RuleCondition[] }
  | { any: RuleCondition[] }
  | { not: RuleCondition }
  | ({ count: RuleCondition[] } & CountComparison);

/** Answer sets that document a rule and are run as tests: the first must trigger it, the second must not. */
export interface RuleExamples {
  triggers: Answers[];
  does_not_trigger: Answers[];
}

export interface Rule {
  /** Stable snake_case id, unique in its rules file and kept across versions while the meaning stays. */
  id: string;
  /** What was found, in one short sentence: the heading of the rule and of every flag it raises. */
  title: Localized;
  when: RuleCondition;
  severity: Severity;
  /** ILO forced-labour indicators (1–11) the rule bears on. */
  indicators: ForcedLabourIndicator[];
  conventions: Convention[];
  follow_up: FollowUp;
  /** Why these answers call for a follow-up, shown to suppliers, buyers and auditors. */
  rationale: Localized;
  examples: RuleExamples;
}

/** One version of the rules for one questionnaire version: `questionnaires/rules/<id>@<version>/rules@<n>.yaml`. */
export interface RuleSet {
  questionnaire: { id: string; version: number };
  version: number;
  status: 'published' | 'draft';
  /** What this version changed, for the published rules page. */
  changes?: Localized;
  rules: Rule[];
}
