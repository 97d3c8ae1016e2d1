/** The questionnaires domain's public face: loading definitions and rules, and the pure logic over them. */
export * from './types';
export { QuestionnaireLoadError, formatPath, type LoadProblem } from './data-files';
export { canonicalJson } from './canonical';
export {
  createRegistry,
  definitionHash,
  loadQuestionnaires,
  parseDefinition,
  parseDefinitionFile,
  PUBLISHED_HASHES_FILE,
  type QuestionnaireRegistry,
  type RegistryExtras,
} from './loader';
export {
  allQuestions,
  computeVisibility,
  evaluateCondition,
  hiddenAnswerIds,
  isAnswered,
  isSectionVisible,
  isVisible,
  missingRequired,
  sectionOf,
  sectionProgress,
  visibleQuestions,
  type SectionProgress,
  type Visibility,
} from './logic';
export {
  EVIDENCE_MEDIA_TYPES,
  acceptedMediaTypes,
  evidenceSpecOf,
  formatBytes,
  formatDate,
  formatNumber,
  parseAnswer,
  parseEvidenceFiles,
  parseLocaleNumber,
  storedAnswerProblem,
  type AnswerError,
  type ParseOptions,
  type ParsedAnswer,
} from './answers';
export { COUNTRY_CODES, countryName, countryOptions, isCountryCode, type CountryOption } from './countries';
export { DEFAULT_EVIDENCE_MAX_BYTES, DEFAULT_EVIDENCE_MAX_FILES, DEFAULT_MAX_LENGTH } from './schema';
export { MAX_CONDITION_DEPTH, MAX_GROUP_MEMBERS, MAX_IN_VALUES } from './conditions-schema';
export {
  C138_GENERAL_MINIMUM_AGE,
  createCountryContext,
  loadCountryContext,
  MINIMUM_WORKING_AGE_FILE,
  parseCountryContext,
  type ContextSource,
  type CountryContext,
  type MinimumWorkingAge,
} from './country-context';
export { isCheckedRuleSet, parseRuleSet, parseRuleSetFile, RULES_DIR, ruleSetHash, ruleSetKey } from './rules-loader';
export { ruleQuestionIds } from './rules-checks';
export { MAX_EXAMPLES_PER_KIND, MAX_RULES_PER_FILE } from './rules-schema';
export {
  checkRuleExamples,
  diffRuleSets,
  evaluateRules,
  RuleEvaluationError,
  type FlagCause,
  type FlagContext,
  type RuleChange,
  type RulesDiff,
  type TriggeredFlag,
} from './rules-evaluator';
export {
  minimumWorkingAgePage,
  rulesCatalogue,
  rulesIndex,
  rulesPage,
  type MinimumWorkingAgePage,
  type RuleView,
  type RulesCatalogue,
  type RulesIndexEntry,
  type RulesPage,
} from './rules-service';
export { describeCondition, type ConditionText } from './rules-text';
export { rulesRouter } from './routes';
