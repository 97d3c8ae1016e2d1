/**
 * The published rules, for the public rules pages and the JSON API: only published questionnaire versions and
 * published rules versions are shown. Page models are plain data built here so the routes stay thin.
 */
import type { Translate } from '../platform/i18n';
import { formatDate } from './answers';
import type { ContextSource } from './country-context';
import { countryName } from './countries';
import type { QuestionnaireRegistry } from './loader';
import { ruleQuestionIds } from './rules-checks';
import { ruleSetKey } from './rules-loader';
import { describeCondition, ruleQuestions, type ConditionText, type RuleQuestion } from './rules-text';
import { conditionReferences } from './conditions-schema';
import { allQuestions, sectionOf } from './logic';
import { SEVERITIES, type Locale, type Question, type QuestionnaireDefinition, type Rule, type RuleSet, type Section, type Severity } from './types';

interface PublishedEntry {
  definition: QuestionnaireDefinition;
  ruleSets: RuleSet[];
}

/** Published questionnaire versions that have at least one published rules version, newest first per id. */
function publishedEntries(registry: QuestionnaireRegistry): PublishedEntry[] {
  return registry
    .list()
    .filter((d) => d.status === 'published')
    .map((definition) => ({ definition, ruleSets: registry.ruleSets(definition.id, definition.version).filter((r) => r.status === 'published') }))
    .filter((entry) => entry.ruleSets.length > 0)
    .sort((a, b) => (a.definition.id === b.definition.id ? b.definition.version - a.definition.version : a.definition.id < b.definition.id ? -1 : 1));
}

export interface RulesIndexEntry {
  id: string;
  version: number;
  title: string;
  latest: boolean;
  questionCount: number;
  rulesVersions: Array<{ version: number; current: boolean; ruleCount: number; changes?: string }>;
}

export function rulesIndex(registry: QuestionnaireRegistry, lang: Locale): RulesIndexEntry[] {
  return publishedEntries(registry).map(({ definition, ruleSets }) => ({
    id: definition.id,
    version: definition.version,
    title: definition.title[lang],
    latest: registry.latest(definition.id) === definition,
    questionCount: allQuestions(definition).length,
    rulesVersions: [...ruleSets].reverse().map((r, i) => ({ version: r.version, current: i === 0, ruleCount: r.rules.length, changes: r.changes?.[lang] })),
  }));
}

export interface RuleView {
  id: string;
  title: string;
  severity: Severity;
  severityLabel: string;
  followUpLabel: string;
  indicators: Array<{ number: number; name: string }>;
  conventions: Array<{ code: string; name: string }>;
  rationale: string;
  condition: ConditionText;
  questions: RuleQuestion[];
  usesCountryContext: boolean;
}

export interface RulesPage {
  questionnaire: { id: string; version: number; title: string; latest: boolean };
  rulesVersion: number;
  rulesKey: string;
  current: boolean;
  changes?: string;
  versions: Array<{ version: number; current: boolean; shown: boolean }>;
  severityCounts: Array<{ severity: Severity; label: string; count: number }>;
  groups: Array<{ title: string; rules: RuleView[] }>;
  usesCountryContext: boolean;
}

/** The page for one published rules version (the current one when `rulesVersion` is not given); undefined if none. */
export function rulesPage(
  registry: QuestionnaireRegistry,
  target: { id: string; version: number; rulesVersion?: number },
  lang: Locale,
  t: Translate,
): RulesPage | undefined {
  const entry = publishedEntries(registry).find((e) => e.definition.id === target.id && e.definition.version === target.version);
  if (!entry) return undefined;
  const current = entry.ruleSets.at(-1)!;
  const ruleSet = target.rulesVersion === undefined ? current : entry.ruleSets.find((r) => r.version === target.rulesVersion);
  if (!ruleSet) return undefined;
  const { definition } = entry;
  const views = ruleSet.rules.map((rule) => ruleView(rule, definition, lang, t));
  return {
    questionnaire: { id: definition.id, version: definition.version, title: definition.title[lang], latest: registry.latest(definition.id) === definition },
    rulesVersion: ruleSet.version,
    rulesKey: ruleSetKey(ruleSet),
    current: ruleSet === current,
    changes: ruleSet.changes?.[lang],
    versions: [...entry.ruleSets].reverse().map((r) => ({ version: r.version, current: r === current, shown: r === ruleSet })),
    severityCounts: SEVERITIES.map((severity) => ({ severity, label: t(`rules:severity.${severity}`), count: ruleSet.rules.filter((r) => r.severity === severity).length })),
    groups: groupBySection(ruleSet.rules, views, definition, lang),
    usesCountryContext: views.some((v) => v.usesCountryContext),
  };
}

function ruleView(rule: Rule, definition: QuestionnaireDefinition, lang: Locale, t: Translate): RuleView {
  return {
    id: rule.id,
    title: rule.title[lang],
    severity: rule.severity,
    severityLabel: t(`rules:severity.${rule.severity}`),
    followUpLabel: t(`rules:followUp.${rule.follow_up}`),
    indicators: rule.indicators.map((number) => ({ number, name: t(`rules:indicators.${number}`) })),
    conventions: rule.conventions.map((code) => ({ code, name: t(`rules:conventions.${code}`) })),
    rationale: rule.rationale[lang],
    condition: describeCondition(rule.when, definition, lang, t),
    questions: ruleQuestions(rule, definition, lang),
    usesCountryContext: conditionReferences(rule.when, []).some((ref) => ref.role === 'country'),
  };
}

/**
 * Rules under the section most of the answers they test are in (the first such answer breaks a tie), so a rule
 * comparing the hiring age with the site's country sits with child labour, not with the company profile.
 */
function groupBySection(rules: Rule[], views: RuleView[], definition: QuestionnaireDefinition, lang: Locale): RulesPage['groups'] {
  const byId = new Map(allQuestions(definition).map((q) => [q.id, q]));
  const groups = new Map<string, { index: number; title: string; rules: RuleView[] }>();
  rules.forEach((rule, i) => {
    const section = mainSection(rule, byId);
    const key = section?.id ?? '';
    const group = groups.get(key) ?? { index: definition.sections.findIndex((s) => s.id === key), title: section?.title[lang] ?? '', rules: [] };
    group.rules.push(views[i]!);
    groups.set(key, group);
  });
  return [...groups.values()].sort((a, b) => a.index - b.index).map(({ title, rules: list }) => ({ title, rules: list }));
}

function mainSection(rule: Rule, questions: ReadonlyMap<string, Question>): Section | undefined {
  const tested = [...new Set(conditionReferences(rule.when, []).filter((ref) => ref.role === 'subject').map((ref) => ref.id))];
  const sections = tested.flatMap((id) => {
    const question = questions.get(id);
    return question ? [sectionOf(question)] : [];
  });
  const counts = new Map<Section, number>();
  for (const section of sections) counts.set(section, (counts.get(section) ?? 0) + 1);
  let best: Section | undefined;
  for (const section of sections) if (best === undefined || (counts.get(section) ?? 0) > (counts.get(best) ?? 0)) best = section;
  return best;
}

export interface MinimumWorkingAgeRow {
  country: string;
  name: string;
  age: number;
  ratified?: string;
  source: ContextSource;
}

export interface MinimumWorkingAgePage {
  rows: MinimumWorkingAgeRow[];
  generalMinimumAge: number;
  generalMinimumBasis: string;
  generalMinimumSource: { title: string; url: string };
}

export function minimumWorkingAgePage(registry: QuestionnaireRegistry, lang: Locale): MinimumWorkingAgePage {
  const context = registry.countryContext;
  const collator = new Intl.Collator(lang);
  const rows = context
    .listedMinimumWorkingAges()
    .map((entry) => ({ country: entry.country, name: countryName(entry.country, lang), age: entry.age, ratified: entry.ratified ? formatDate(entry.ratified, lang) : undefined, source: entry.source }))
    .sort((a, b) => collator.compare(a.name, b.name));
  const source = context.generalMinimumSource;
  return { rows, generalMinimumAge: context.generalMinimumAge, generalMinimumBasis: context.generalMinimumBasis[lang], generalMinimumSource: { title: source.title, url: source.url } };
}

/**
 * Every published rules version as plain JSON-ready data, for `GET /api/v1/rules`: what the pages show, with each
 * condition in its structured form.
 */
export function rulesCatalogue(registry: QuestionnaireRegistry): RulesCatalogue {
  const context = registry.countryContext;
  const fallback = context.generalMinimumSource;
  return JSON.parse(
    JSON.stringify({
      questionnaires: publishedEntries(registry).map(({ definition, ruleSets }) => ({
        id: definition.id,
        version: definition.version,
        title: definition.title,
        latest: registry.latest(definition.id) === definition,
        rulesVersions: ruleSets.map((ruleSet) => ({
          key: ruleSetKey(ruleSet),
          version: ruleSet.version,
          current: ruleSet === ruleSets.at(-1),
          changes: ruleSet.changes,
          rules: ruleSet.rules.map((rule) => ({
            id: rule.id,
            title: rule.title,
            severity: rule.severity,
            indicators: rule.indicators,
            conventions: rule.conventions,
            followUp: rule.follow_up,
            rationale: rule.rationale,
            questions: ruleQuestionIds(rule),
            when: rule.when,
          })),
        })),
      })),
      minimumWorkingAge: {
        convention: 'C138',
        generalMinimumAge: context.generalMinimumAge,
        generalMinimumBasis: context.generalMinimumBasis,
        generalMinimumSource: { title: fallback.title, url: fallback.url },
        countries: context.listedMinimumWorkingAges().map((e) => ({ country: e.country, minimumAge: e.age, ratified: e.ratified, source: { title: e.source.title, url: e.source.url } })),
      },
    }),
  ) as RulesCatalogue;
}

export interface RulesCatalogue {
  questionnaires: Array<{
    id: string;
    version: number;
    title: { sv: string; en: string };
    latest: boolean;
    rulesVersions: Array<{
      key: string;
      version: number;
      current: boolean;
      changes?: { sv: string; en: string };
      rules: Array<{
        id: string;
        title: { sv: string; en: string };
        severity: Severity;
        indicators: number[];
        conventions: string[];
        followUp: string;
        rationale: { sv: string; en: string };
        questions: string[];
        when: unknown;
      }>;
    }>;
  }>;
  minimumWorkingAge: {
    convention: 'C138';
    generalMinimumAge: number;
    generalMinimumBasis: { sv: string; en: string };
    generalMinimumSource: { title: string; url: string };
    countries: Array<{ country: string; minimumAge: number; ratified?: string; source: { title: string; url: string } }>;
  };
}
