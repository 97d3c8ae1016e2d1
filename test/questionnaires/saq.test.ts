import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  FORCED_LABOUR_INDICATORS,
  TOPICS,
  allQuestions,
  definitionHash,
  hiddenAnswerIds,
  isSectionVisible,
  loadQuestionnaires,
  missingRequired,
  evaluateRules,
  parseAnswer,
  parseDefinition,
  ruleQuestionIds,
  visibleQuestions,
  type Answers,
  type Question,
  type QuestionnaireDefinition,
} from '../../src/questionnaires';
import { canonicalHash } from '../../src/questionnaires/canonical';
import { CLEAN_ANSWERS_V1 } from './saq-answers';

const QUESTIONNAIRES = path.join(__dirname, '..', '..', 'questionnaires');
const registry = loadQuestionnaires(QUESTIONNAIRES);
const saq: QuestionnaireDefinition = registry.get('code-of-conduct-saq', 1)!;
const rules = registry.currentRuleSet('code-of-conduct-saq', 1)!;
const questions = allQuestions(saq);

function question(id: string): Question {
  const found = questions.find((q) => q.id === id);
  if (!found) throw new Error(`the SAQ has no question ${id}`);
  return found;
}

const cleanAnswers = CLEAN_ANSWERS_V1;

function flagsOf(answers: Answers): string[] {
  return evaluateRules(rules, saq, answers, registry.countryContext).map((flag) => `${flag.ruleId}:${flag.severity}`);
}

function flagsFor(changes: Answers): string[] {
  return flagsOf({ ...cleanAnswers, ...changes });
}

function localizedTexts(node: unknown, at: string): Array<{ at: string; text: Record<string, unknown> }> {
  if (Array.isArray(node)) return node.flatMap((item, i) => localizedTexts(item, `${at}[${i}]`));
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  if ('sv' in record || 'en' in record) return [{ at, text: record }];
  return Object.entries(record).flatMap(([key, value]) => localizedTexts(value, `${at}.${key}`));
}

describe('The shipped code-of-conduct self-assessment', () => {
  it('loads as published version 1 with published rules, and every file in questionnaires/ loads', () => {
    assert.equal(saq.status, 'published');
    assert.equal(rules.status, 'published');
    assert.equal(rules.version, 1);
  });

  it('still has the hash recorded when it was published (a published version never changes)', () => {
    const recorded = JSON.parse(fs.readFileSync(path.join(QUESTIONNAIRES, 'published-hashes.json'), 'utf8')) as Record<string, { hash: string }>;
    assert.equal(recorded['code-of-conduct-saq@1']?.hash, definitionHash(saq));
  });

  it('has at least 40 questions', () => {
    assert.ok(questions.length >= 40, `only ${questions.length} questions`);
  });

  it('has every visible text in Swedish and English, and the two differ where words are translated', () => {
    const texts = localizedTexts(saq, 'saq');
    assert.ok(texts.length > 150, `only ${texts.length} texts`);
    for (const { at, text } of texts) {
      assert.equal(typeof text.sv, 'string', `${at}.sv`);
      assert.equal(typeof text.en, 'string', `${at}.en`);
      assert.notEqual((text.sv as string).trim(), '', `${at}.sv`);
      assert.notEqual((text.en as string).trim(), '', `${at}.en`);
    }
    const untranslated = texts.filter(({ text }) => text.sv === text.en && /[a-z]{4}/i.test(String(text.sv)));
    assert.deepEqual(untranslated.map((t) => t.at), []);
  });

  it('tags all 11 ILO forced-labour indicators, and each is carried by a rule', () => {
    const tagged = new Set(questions.flatMap((q) => q.tags?.indicators ?? []));
    const carried = new Set(rules.rules.flatMap((rule) => rule.indicators));
    for (const indicator of FORCED_LABOUR_INDICATORS) {
      assert.ok(tagged.has(indicator), `indicator ${indicator} is not tagged`);
      assert.ok(carried.has(indicator), `indicator ${indicator} has no rule`);
    }
  });

  it('has a rule that reads every forced-labour and child-labour question', () => {
    const read = new Set(rules.rules.flatMap(ruleQuestionIds));
    const unread = questions.filter((q) => (q.tags?.topics ?? []).some((t) => t === 'forced_labour' || t === 'child_labour') && !read.has(q.id));
    assert.deepEqual(unread.map((q) => q.id), []);
  });

  it('covers the child-labour, forced-labour, association and discrimination conventions', () => {
    const conventions = new Set(questions.flatMap((q) => q.tags?.conventions ?? []));
    for (const c of ['C29', 'C105', 'C138', 'C182', 'C87', 'C98', 'C100', 'C111'] as const) assert.ok(conventions.has(c), c);
  });

  it('covers every topic of the code of conduct', () => {
    const topics = new Set(questions.flatMap((q) => q.tags?.topics ?? []));
    for (const topic of TOPICS) {
      assert.ok(topics.has(topic), topic);
    }
  });

  it('starts with the company profile: name, country, sites, number of workers and sector', () => {
    const first = saq.sections[0]!;
    assert.equal(first.id, 'company_profile');
    const required = first.questions.filter((q) => q.required).map((q) => q.id);
    for (const id of ['company_name', 'head_office_country', 'production_sites', 'workers_total', 'sector']) assert.ok(required.includes(id), id);
    assert.equal(question('head_office_country').type, 'country');
    assert.equal(question('workers_total').type, 'integer');
  });

  it('asks about the six routines and the two-week reporting of serious deviations', () => {
    for (const id of [
      'policy_commitment',
      'responsible_person',
      'risk_analysis',
      'requirements_to_subcontractors',
      'internal_follow_up',
      'deviation_routine',
      'serious_deviation_reporting_routine',
      'serious_deviations_reported',
    ]) {
      assert.ok(question(id).required, id);
    }
  });

  it('asks for the documents an auditor would ask for', () => {
    const asksForDocument = (id: string): boolean => question(id).type === 'evidence' || question(id).evidence !== undefined;
    for (const id of [
      'policy_commitment',
      'age_verification',
      'payroll_sample',
      'working_hours_records',
      'environmental_permits',
      'last_fire_drill',
      'risk_assessment_workplace',
      'written_contract_own_language',
      'agencies_vetted',
    ]) {
      assert.ok(asksForDocument(id), id);
    }
    for (const q of questions.filter((x) => x.evidence)) {
      assert.ok(q.evidence!.maxBytes <= 10 * 1024 * 1024, `${q.id} allows more than 10 MB`);
    }
  });

  describe('When a supplier has no migrants, agencies, housing, young workers or students', () => {
    it('then their follow-ups and the housing section are not shown', () => {
      const visible = new Set(visibleQuestions(saq, cleanAnswers).map((q) => q.id));
      for (const id of ['migrant_share', 'migrant_safeguards', 'agencies_vetted', 'agency_workers_share', 'young_workers_hazardous', 'students_managed', 'loan_repayment_capped', 'minimum_age_exception']) {
        assert.ok(!visible.has(id), `${id} is shown`);
      }
      assert.equal(isSectionVisible(saq.sections.find((s) => s.id === 'housing')!, cleanAnswers), false);
      assert.ok(visible.size >= 40 && visible.size < questions.length, `${visible.size} visible`);
    });

    it('then every required question is answered and, with the documents uploaded, no rule is triggered', () => {
      assert.deepEqual(missingRequired(saq, cleanAnswers).map((q) => q.id), []);
      assert.deepEqual(flagsOf(cleanAnswers), []);
      assert.deepEqual(hiddenAnswerIds(saq, cleanAnswers), []);
    });

    it('then leaving out the working-hours records and payroll asks for them in a desk review', () => {
      const { working_hours_records: _hours, payroll_sample: _payroll, ...withoutDocuments } = cleanAnswers;
      assert.deepEqual(flagsOf(withoutDocuments), ['no_working_hours_records_provided:medium', 'no_payroll_provided:medium']);
    });

    it('then every one of those answers passes validation', () => {
      for (const [id, raw] of Object.entries(cleanAnswers)) {
        const parsed = parseAnswer(question(id), raw, 'en', { today: '2026-11-26' });
        assert.ok(parsed.ok, `${id}: ${JSON.stringify(parsed)}`);
      }
    });
  });

  describe('When migrant workers are employed', () => {
    it('then the share and safeguards are asked and required', () => {
      const answers = { ...cleanAnswers, employs_migrants: 'yes' };
      assert.deepEqual(missingRequired(saq, answers).map((q) => q.id), ['migrant_share', 'migrant_safeguards']);
    });

    it('then a high share without safeguards raises abuse of vulnerability (indicator 1)', () => {
      assert.deepEqual(flagsFor({ employs_migrants: 'yes', migrant_share: 45, migrant_safeguards: 'no' }), [
        'many_migrants_without_controls:high',
        'no_migrant_safeguards:medium',
      ]);
      assert.deepEqual(flagsFor({ employs_migrants: 'yes', migrant_share: 45, migrant_safeguards: 'yes' }), []);
    });
  });

  describe('When housing is provided', () => {
    it('then the housing section is shown and a locked dormitory is critical', () => {
      const answers = { ...cleanAnswers, provides_housing: 'yes' };
      assert.deepEqual(missingRequired(saq, answers).map((q) => q.id), ['dormitory_curfew', 'free_to_leave_housing', 'housing_charges', 'housing_standards']);
      assert.deepEqual(flagsFor({ provides_housing: 'yes', dormitory_curfew: 'yes' }), ['curfew_or_locked_dormitory:critical']);
    });
  });

  describe('When the answers reveal the risks named in the domain checklist', () => {
    const cases: Array<[string, Answers, string[]]> = [
      ['passports held', { id_documents_retained: 'yes' }, ['identity_documents_retained:critical']],
      ['recruitment fees', { recruitment_fees_paid: 'yes' }, ['recruitment_fees:critical']],
      ['uncapped loan deductions', { loans_to_workers: 'yes', loan_repayment_capped: 'no' }, ['uncapped_loan_deductions:critical']],
      ['cannot resign', { free_to_resign: 'no' }, ['cannot_resign_freely:high']],
      ['forced overtime', { overtime_voluntary: 'no' }, ['forced_overtime:high']],
      ['prison labour', { prison_or_state_labour: 'yes' }, ['prison_or_state_imposed_labour:critical']],
      ['hiring at 13', { minimum_hiring_age: 13 }, ['hiring_below_14:critical']],
      ['hiring at 14 without the exception', { minimum_hiring_age: 14, minimum_age_exception: 'no' }, ['hiring_below_15_without_exception:critical']],
      ['hiring at 14 with the exception', { minimum_hiring_age: 14, minimum_age_exception: 'yes' }, []],
      ['hiring at 15 by a manufacturer in China, whose minimum is 16', { head_office_country: 'CN', minimum_hiring_age: 15 }, ['hiring_below_head_office_country_minimum:high']],
      ['under-18s on night work', { young_workers: 'yes', young_workers_hazardous: 'yes', young_workers_register: 'yes' }, ['young_workers_in_hazardous_work:critical']],
      ['more than 84 hours', { max_weekly_hours: 90, weeks_over_60_frequency: 'exceptionally' }, ['weekly_hours_over_84:critical']],
      ['routinely over 60 hours', { max_weekly_hours: 66, weeks_over_60_frequency: 'routinely' }, ['weekly_hours_over_60:medium', 'routinely_over_60_hours:high']],
      ['no hours records', { hours_recording: 'not_recorded', records_complete: 'yes', working_hours_records: undefined }, ['hours_not_recorded:high']],
      ['two sets of records', { records_complete: 'no' }, ['double_books:high']],
      ['fines as discipline', { disciplinary_deductions: 'yes' }, ['disciplinary_wage_deductions:high']],
      [
        'passports held, no free resignation and threats: three indicators at once',
        { id_documents_retained: 'yes', free_to_resign: 'no', contact_restricted: 'yes' },
        ['identity_documents_retained:critical', 'cannot_resign_freely:high', 'isolation_of_workers:high', 'several_forced_labour_indicators:high'],
      ],
      ['locked exits', { emergency_exits: 'no' }, ['emergency_exits_blocked:critical']],
      ['gifts to auditors', { gifts_to_officials_or_auditors: 'yes' }, ['gifts_to_influence:critical']],
      ['deviation not reported in two weeks', { serious_deviations_last_12_months: 'yes', serious_deviations_reported: 'no' }, ['serious_deviation_found:high', 'serious_deviation_not_reported:high']],
    ];
    for (const [name, changes, expected] of cases) {
      it(`${name} → ${expected.join(', ') || 'no flag'}`, () => {
        assert.deepEqual(flagsFor(changes), expected);
      });
    }

    it('then a records-complete answer left over from manual recording is discarded once hours are not recorded', () => {
      assert.deepEqual(hiddenAnswerIds(saq, { ...cleanAnswers, hours_recording: 'not_recorded' }), ['records_complete', 'working_hours_records']);
    });
  });
});

describe('Version 1 before its red flags moved to rules files', () => {
  const HISTORY = path.join(__dirname, 'fixtures', 'history', 'code-of-conduct-saq@1-before-rules.yaml');
  const recorded = JSON.parse(fs.readFileSync(path.join(QUESTIONNAIRES, 'published-hashes.json'), 'utf8'))['code-of-conduct-saq@1'] as {
    hash: string;
    earlier: Array<{ hash: string }>;
  };
  const raw = parseYaml(fs.readFileSync(HISTORY, 'utf8')) as { sections: Array<{ questions: Array<Record<string, unknown>> }> };
  const redFlags = new Map<string, unknown[]>();
  for (const section of raw.sections) {
    for (const q of section.questions) {
      if (q.red_flags) redFlags.set(q.id as string, q.red_flags as unknown[]);
      delete q.red_flags;
    }
  }
  const withoutRedFlags = parseDefinition(raw, 'history');

  it('When its red flags are left out, then it is the current version 1 exactly: the questions suppliers saw did not change', () => {
    assert.equal(definitionHash(withoutRedFlags), definitionHash(saq));
    assert.equal(recorded.hash, definitionHash(saq));
  });

  it('When its red flags are put back as the old loader bound them, then it hashes to the earlier hash recorded for version 1', () => {
    // The old loader filled in a flag's own question where its condition left it out.
    const bind = (c: Record<string, unknown>, id: string): Record<string, unknown> => {
      for (const group of ['all', 'any'] as const) if (Array.isArray(c[group])) return { [group]: (c[group] as Array<Record<string, unknown>>).map((m) => bind(m, id)) };
      if (c.not) return { not: bind(c.not as Record<string, unknown>, id) };
      return 'answered' in c || 'question' in c ? c : { question: id, ...c };
    };
    const old = JSON.parse(JSON.stringify(withoutRedFlags)) as { sections: Array<{ questions: Array<Record<string, unknown>> }> };
    for (const section of old.sections) {
      for (const q of section.questions) {
        const flags = redFlags.get(q.id as string) as Array<Record<string, unknown>> | undefined;
        if (flags) q.red_flags = flags.map((f) => ({ ...f, when: bind(f.when as Record<string, unknown>, q.id as string) }));
      }
    }
    const earlier = recorded.earlier.map((e) => e.hash);
    assert.deepEqual(earlier, [canonicalHash(old)]);
    assert.equal(registry.isDefinitionHash('code-of-conduct-saq', 1, earlier[0]!), true);
  });

  it('When the red flags are compared with the rules of version 1, then each one is a rule with the same id', () => {
    const ruleIds = new Set(rules.rules.map((rule) => rule.id));
    const flagIds = [...redFlags.values()].flat().map((f) => (f as { id: string }).id);
    assert.equal(flagIds.length, 68);
    assert.deepEqual(flagIds.filter((id) => !ruleIds.has(id)), []);
  });
});
