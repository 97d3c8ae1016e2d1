import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  FORCED_LABOUR_INDICATORS,
  TOPICS,
  allQuestions,
  definitionHash,
  evaluateRules,
  hiddenAnswerIds,
  missingRequired,
  parseAnswer,
  ruleSetHash,
  type Answers,
  type Question,
  type RuleCondition,
  type TriggeredFlag,
} from '../../src/questionnaires';
import { paths } from '../../src/platform/paths';
import { shippedQuestionnaires } from '../helpers/app';
import { CLEAN_ANSWERS_V2 } from './saq-answers';

const registry = shippedQuestionnaires();
const saq = registry.get('code-of-conduct-saq', 2)!;
const rules = registry.currentRuleSet('code-of-conduct-saq', 2)!;
const questions = allQuestions(saq);

function question(id: string): Question {
  const found = questions.find((q) => q.id === id);
  if (!found) throw new Error(`version 2 has no question ${id}`);
  return found;
}

function optionIds(id: string): string[] {
  const q = question(id);
  return q.type === 'single_choice' || q.type === 'multiple_choice' ? q.options.map((o) => o.id) : [];
}

const cleanAnswers = CLEAN_ANSWERS_V2;

function flagsFor(changes: Answers): TriggeredFlag[] {
  return evaluateRules(rules, saq, { ...cleanAnswers, ...changes }, registry.countryContext);
}

function flagNames(changes: Answers): string[] {
  return flagsFor(changes).map((f) => `${f.ruleId}:${f.severity}`);
}

function leaves(condition: RuleCondition): RuleCondition[] {
  if ('all' in condition) return condition.all.flatMap(leaves);
  if ('any' in condition) return condition.any.flatMap(leaves);
  if ('count' in condition) return condition.count.flatMap(leaves);
  if ('not' in condition) return leaves(condition.not);
  return [condition];
}

describe('Version 2 of the code-of-conduct self-assessment', () => {
  it('is published with published rules, and is the latest version; version 1 stays loadable for its campaigns', () => {
    assert.equal(saq.status, 'published');
    assert.equal(rules.status, 'published');
    assert.equal(registry.latest('code-of-conduct-saq'), saq);
    assert.equal(registry.get('code-of-conduct-saq', 1)?.status, 'published');
    assert.equal(registry.currentRuleSet('code-of-conduct-saq', 1)?.status, 'published');
  });

  it('has its hash and its rules’ hash recorded', () => {
    const recorded = JSON.parse(fs.readFileSync(path.join(paths.questionnaires, 'published-hashes.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(recorded['code-of-conduct-saq@2'], definitionHash(saq));
    assert.equal(recorded['code-of-conduct-saq@2/rules@1'], ruleSetHash(rules));
  });

  it('tags all 11 ILO indicators and carries each in a rule, and covers every topic and the fundamental conventions', () => {
    const tagged = new Set(questions.flatMap((q) => q.tags?.indicators ?? []));
    const carried = new Set(rules.rules.flatMap((rule) => rule.indicators));
    for (const indicator of FORCED_LABOUR_INDICATORS) {
      assert.ok(tagged.has(indicator), `indicator ${indicator} is not tagged`);
      assert.ok(carried.has(indicator), `indicator ${indicator} has no rule`);
    }
    const topics = new Set(questions.flatMap((q) => q.tags?.topics ?? []));
    for (const topic of TOPICS) assert.ok(topics.has(topic), topic);
    const conventions = new Set(questions.flatMap((q) => q.tags?.conventions ?? []));
    for (const c of ['C29', 'C105', 'C138', 'C182', 'C87', 'C98', 'C100', 'C111', 'C181', 'C190'] as const) assert.ok(conventions.has(c), c);
  });

  describe('When the review of version 1 is checked off', () => {
    it('then the double-barrelled questions are split into one question each', () => {
      const splits: Array<[string, string[]]> = [
        ['students and apprentices', ['students_or_interns', 'apprentices', 'trainee_school_agreements', 'trainee_hours_limited', 'trainee_paid_lawfully']],
        ['agency vetting and the no-fee clause', ['agencies_vetted', 'agency_no_fee_clause']],
        ['loan repayment in writing and capped', ['loan_terms_in_writing', 'loan_deductions_capped']],
        ['housing standards and separation from production', ['housing_meets_standards', 'housing_separate_from_production']],
        ['violence, threats and harassment', ['physical_violence', 'threats_or_intimidation', 'sexual_harassment_or_abuse', 'verbal_abuse']],
        ['curfew and locked housing', ['housing_curfew', 'housing_locked']],
        ['age verification and copies kept', ['age_verification', 'age_documents_copied']],
        ['night work, hazardous tasks and overtime of under-18s', ['young_workers_night_work', 'young_workers_hazardous_tasks', 'young_workers_overtime']],
        ['complete records and one set of records', ['records_show_all_hours', 'single_set_of_records']],
        ['pregnancy and HIV tests', ['pregnancy_testing', 'hiv_testing']],
      ];
      for (const [topic, ids] of splits) for (const id of ids) assert.ok(questions.some((q) => q.id === id), `${topic}: ${id}`);
      for (const old of ['students_managed', 'loan_repayment_capped', 'housing_standards', 'physical_punishment', 'dormitory_curfew', 'records_complete', 'pregnancy_or_hiv_testing']) {
        assert.ok(!questions.some((q) => q.id === old), `${old} is still asked`);
      }
    });

    it('then violence and threats bear on different ILO indicators (5 and 6)', () => {
      assert.deepEqual(question('physical_violence').tags?.indicators, [5]);
      assert.deepEqual(question('threats_or_intimidation').tags?.indicators, [6]);
    });

    it('then the new topics are asked: light work, home-based work, informal subcontracting, raw materials, reimbursed fees, contract substitution, wage deposits', () => {
      for (const id of ['light_work_children', 'light_work_conditions', 'home_based_work', 'unauthorised_subcontracting', 'high_risk_materials', 'materials_origin_known', 'materials_from_state_forced_labour_regions', 'recruitment_fees_reimbursed', 'contract_substitution', 'wage_deposits_held', 'site_country']) {
        assert.ok(questions.some((q) => q.id === id), id);
      }
      for (const material of ['cotton', 'natural_rubber', 'polysilicon', 'mica']) assert.ok(optionIds('high_risk_materials').includes(material), material);
    });

    it('then "don’t know" is offered where a supplier may honestly not know', () => {
      for (const id of ['recruitment_fees_paid', 'subcontractor_practices_known', 'materials_origin_known', 'materials_from_state_forced_labour_regions', 'home_based_work', 'unauthorised_subcontracting']) {
        assert.ok(optionIds(id).includes('dont_know'), id);
      }
    });

    it('then every "don’t know" and "prefer not to say" on a forced- or child-labour question is read by a rule as inability to verify', () => {
      const flagged = new Set(
        rules.rules.flatMap((rule) =>
          leaves(rule.when).flatMap((leaf) =>
            'question' in leaf && 'equals' in leaf && (leaf.equals === 'dont_know' || leaf.equals === 'prefer_not_to_say') ? [`${leaf.question}:${leaf.equals}`] : [],
          ),
        ),
      );
      const offered = questions.flatMap((q) =>
        (q.tags?.topics ?? []).some((t) => t === 'forced_labour' || t === 'child_labour')
          ? optionIds(q.id)
              .filter((o) => o === 'dont_know' || o === 'prefer_not_to_say')
              .map((o) => `${q.id}:${o}`)
          : [],
      );
      assert.ok(offered.length >= 15, `${offered.length} such answers`);
      assert.deepEqual(offered.filter((answer) => !flagged.has(answer)), []);
    });
  });

  describe('When a supplier has nothing risky to report and uploads the documents asked for', () => {
    it('then every required question is answered, every answer is valid and no rule is triggered', () => {
      assert.deepEqual(missingRequired(saq, cleanAnswers).map((q) => q.id), []);
      assert.deepEqual(hiddenAnswerIds(saq, cleanAnswers), []);
      for (const [id, value] of Object.entries(cleanAnswers)) {
        if (question(id).type === 'evidence') continue;
        const parsed = parseAnswer(question(id), Array.isArray(value) ? value : String(value), 'en', { today: '2026-11-26' });
        assert.ok(parsed.ok, `${id}: ${JSON.stringify(parsed)}`);
      }
      assert.deepEqual(flagNames({}), []);
    });
  });

  describe('When the answers reveal a risk, then the rules flag it with the follow-up it calls for', () => {
    const cases: Array<[string, Answers, string[]]> = [
      ['passports held', { id_documents_retained: 'yes' }, ['identity_documents_retained:critical']],
      ['passport question not answered openly', { id_documents_retained: 'prefer_not_to_say' }, ['forced_labour_answer_withheld:high']],
      ['fees paid abroad, not known', { recruitment_fees_paid: 'dont_know' }, ['forced_labour_not_known:high']],
      ['fees paid and not paid back', { recruitment_fees_paid: 'yes', recruitment_fees_reimbursed: 'partly' }, ['recruitment_fees_not_reimbursed:critical']],
      ['fees paid and fully paid back', { recruitment_fees_paid: 'yes', recruitment_fees_reimbursed: 'fully' }, ['recruitment_fees_reimbursed:medium']],
      ['contract substituted on arrival', { contract_substitution: 'yes' }, ['contract_substitution_found:high']],
      ['wages held until the contract ends', { wage_deposits_held: 'yes' }, ['wages_held_until_contract_end:high']],
      ['violence', { physical_violence: 'yes' }, ['physical_violence_reported:critical']],
      ['threats', { threats_or_intimidation: 'yes' }, ['threats_reported:high']],
      ['hiring at 15 in China, whose minimum is 16', { site_country: 'CN', minimum_hiring_age: 15 }, ['hiring_below_national_minimum_age:critical']],
      ['hiring at 14 in Bangladesh, whose minimum is 14', { site_country: 'BD', minimum_hiring_age: 14 }, []],
      ['hiring at 14 in Sweden, no sourced value: 15 applies', { minimum_hiring_age: 14 }, ['hiring_below_national_minimum_age:critical']],
      ['light work in school hours', { light_work_children: 'yes', light_work_conditions: ['allowed_by_national_law', 'hours_limited', 'not_harmful'] }, ['light_work_outside_the_rules:high']],
      ['under-18s not known', { young_workers: 'dont_know' }, ['child_labour_not_known:high']],
      ['unregistered home workers', { home_based_work: 'yes', home_workers_registered: 'no', home_workers_paid_minimum_wage: 'yes' }, ['home_workers_unregistered:high']],
      ['cotton from Xinjiang', { high_risk_materials: ['cotton'], materials_origin_known: 'countries_known', materials_from_state_forced_labour_regions: 'yes' }, ['state_imposed_labour_in_raw_materials:critical', 'raw_material_producers_unknown:medium']],
      ['two sets of records', { single_set_of_records: 'no' }, ['two_sets_of_records:high']],
      ['62 hours a week routinely', { max_weekly_hours: 62, weeks_over_60_frequency: 'routinely' }, ['weekly_hours_over_60:medium', 'routinely_over_60_hours:high']],
      [
        'locked housing with wages paid through an agent: three indicators',
        { provides_housing: 'yes', housing_locked: 'yes', housing_curfew: 'no', free_to_live_elsewhere: 'yes', housing_charges: 'free', housing_meets_standards: 'yes', housing_separate_from_production: 'yes', wages_paid_directly: 'no' },
        ['wages_withheld:high', 'several_forced_labour_indicators:high', 'locked_housing:critical'],
      ],
    ];
    for (const [name, changes, expected] of cases) {
      it(`${name} → ${expected.join(', ') || 'no flag'}`, () => {
        assert.deepEqual(flagNames(changes), expected);
      });
    }

    it('passports held → unannounced on-site audit, indicator 7, C29, with the answer as given', () => {
      const [flag] = flagsFor({ id_documents_retained: 'yes' });
      assert.equal(flag?.followUp, 'unannounced_on_site_audit');
      assert.deepEqual(flag?.indicators, [7]);
      assert.deepEqual(flag?.conventions, ['C29']);
      assert.deepEqual(flag?.causes, [{ question: 'id_documents_retained', value: 'yes' }]);
    });

    it('62 hours routinely → a desk audit', () => {
      assert.equal(flagsFor({ max_weekly_hours: 62, weeks_over_60_frequency: 'routinely' }).find((f) => f.severity === 'high')?.followUp, 'desk_audit');
    });

    it('hiring below the country’s minimum → the flag shows the figure, that it is sourced, and both answers', () => {
      const [flag] = flagsFor({ site_country: 'CN', minimum_hiring_age: 15 });
      assert.deepEqual(flag?.causes, [
        { question: 'site_country', value: 'CN' },
        { question: 'minimum_hiring_age', value: 15 },
      ]);
      assert.deepEqual(flag?.context.map((c) => [c.country, c.age, c.fallback]), [['CN', 16, false]]);
    });
  });
});
