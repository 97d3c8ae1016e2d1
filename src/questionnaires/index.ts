/** The questionnaires domain's public face: loading definitions and the pure logic over them. */
export * from './types';
export {
  QuestionnaireLoadError,
  canonicalJson,
  createRegistry,
  definitionHash,
  formatPath,
  loadQuestionnaires,
  parseDefinition,
  parseDefinitionFile,
  PUBLISHED_HASHES_FILE,
  type LoadProblem,
  type QuestionnaireRegistry,
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
  triggeredRedFlags,
  visibleQuestions,
  type SectionProgress,
  type TriggeredRedFlag,
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
  type AnswerError,
  type ParseOptions,
  type ParsedAnswer,
} from './answers';
export { COUNTRY_CODES, countryName, countryOptions, isCountryCode, type CountryOption } from './countries';
export { DEFAULT_EVIDENCE_MAX_BYTES, DEFAULT_EVIDENCE_MAX_FILES, DEFAULT_MAX_LENGTH } from './schema';
