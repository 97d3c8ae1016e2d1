/**
 * Comparing a supplier's answers with an earlier submission: the pure comparison (changed, new and removed answers,
 * flags gained and lost, questions matched by id across questionnaire versions) and the comparison page.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import YAML from 'yaml';
import { createCountryContext, createRegistry, parseDefinition, parseRuleSet, type QuestionnaireDefinition } from '../../src/questionnaires';
import { answerSetOf } from '../../src/responses/answer-set';
import { compareAnswerSets } from '../../src/responses/compare';
import type { EvidenceRef } from '../../src/responses/model';
import { buildTestApp, loginAgent, type TestApp } from '../helpers/app';
import { answerQuestionnaire } from './buyer-fixtures';
import { createSupplierLink } from './fixtures';

const FIXTURES = path.join(__dirname, '..', 'questionnaires', 'fixtures', 'valid');
const FIXTURE = path.join(FIXTURES, 'supplier-check@1.yaml');
const FIXTURE_RULES = path.join(FIXTURES, 'rules', 'supplier-check@1', 'rules@1.yaml');

interface RawQuestion {
  id: string;
  type: string;
  [key: string]: unknown;
}
interface RawDefinition {
  version: number;
  status: string;
  sections: Array<{ id: string; questions: RawQuestion[] }>;
}

function rawFixture(): RawDefinition {
  return YAML.parse(readFileSync(FIXTURE, 'utf8')) as RawDefinition;
}

/** Version 2 of the fixture: `founded` dropped, `audited` added, `workers` asked as a range instead of a number. */
function secondVersion(): QuestionnaireDefinition {
  const raw = rawFixture();
  raw.version = 2;
  raw.status = 'draft';
  const profile = raw.sections[0];
  assert.ok(profile);
  profile.questions = profile.questions
    .filter((q) => q.id !== 'founded')
    .map((q) =>
      q.id === 'workers'
        ? {
            id: 'workers',
            type: 'single_choice',
            required: true,
            label: { sv: 'Antal arbetstagare', en: 'Number of workers' },
            options: [
              { id: 'small', label: { sv: 'Färre än 50', en: 'Fewer than 50' } },
              { id: 'large', label: { sv: '50 eller fler', en: '50 or more' } },
            ],
          }
        : q,
    );
  profile.questions.push({ id: 'audited', type: 'yes_no', required: false, label: { sv: 'Granskad?', en: 'Audited?' } });
  return parseDefinition(raw, 'supplier-check@2 (test)');
}

function stored(values: Record<string, unknown>): Record<string, { value: unknown; updatedAt: Date }> {
  return Object.fromEntries(Object.entries(values).map(([id, value]) => [id, { value, updatedAt: new Date('2026-01-01T00:00:00Z') }]));
}

function file(questionId: string, filename: string, size = 100): EvidenceRef {
  return { fileId: new mongoose.Types.ObjectId(), questionId, filename, detectedType: 'png', size, uploadedAt: new Date('2026-01-01T00:00:00Z') };
}

/** The fixture's rules, for version 1 and (the same rules, which read only questions both have) for version 2. */
function registryWithRules(v1: QuestionnaireDefinition, v2: QuestionnaireDefinition) {
  const context = createCountryContext(undefined);
  const raw = YAML.parse(readFileSync(FIXTURE_RULES, 'utf8')) as Record<string, unknown>;
  const ruleSets = [parseRuleSet(raw, v1, context, 'rules v1 (test)'), parseRuleSet({ ...raw, questionnaire: 'supplier-check@2' }, v2, context, 'rules v2 (test)')];
  return { questionnaires: createRegistry([v1, v2], { ruleSets, countryContext: context }) };
}

describe('Comparing answer sets', () => {
  const v1 = parseDefinition(rawFixture(), 'supplier-check@1 (test)');
  const v2 = secondVersion();
  const deps = registryWithRules(v1, v2);
  const earlier = {
    company_name: 'Bright Gloves',
    country: 'CN',
    workers: 120,
    founded: '2001-05-01',
    employs_migrants: 'yes',
    migrant_share: 30,
    passports_held: 'yes',
    weekly_hours: 72,
    benefits: ['housing', 'meals'],
    contract_type: 'permanent',
    dormitory_locked: 'no',
  };

  it('When two submissions of one version differ, then changed, new and removed answers and gained and lost flags are told apart; the rest is unchanged', () => {
    const before = answerSetOf(deps, v1, { answers: stored(earlier), evidence: [file('housing_photos', 'dorm.png')] });
    const after = answerSetOf(deps, v1, {
      answers: stored({ ...earlier, passports_held: 'no', weekly_hours: 48, benefits: ['meals', 'housing'], contract_type: undefined, dormitory_locked: 'no' }),
      evidence: [file('housing_photos', 'dorm.png'), file('housing_photos', 'kitchen.png')],
    });
    const comparison = compareAnswerSets(after, before);
    assert.equal(comparison.sameVersion, true);
    const kinds = Object.fromEntries(comparison.changes.map((c) => [c.questionId, c.kind]));
    assert.equal(kinds.passports_held, 'changed');
    assert.equal(kinds.weekly_hours, 'changed');
    assert.equal(kinds.benefits, 'unchanged', 'the same choices in another order are the same answer');
    assert.equal(kinds.contract_type, 'disappeared');
    assert.equal(kinds.housing_photos, 'changed', 'a file was added');
    assert.equal(kinds.company_name, 'unchanged');
    assert.equal(kinds.passport_storage, undefined, 'unanswered on both sides: not listed');
    assert.deepEqual(comparison.flagsLost.map((f) => f.id).sort(), ['hours_over_60', 'passports_retained']);
    assert.deepEqual(comparison.flagsGained, []);
    assert.deepEqual(comparison.notComparable, []);

    const reversed = compareAnswerSets(before, after);
    assert.equal(Object.fromEntries(reversed.changes.map((c) => [c.questionId, c.kind])).contract_type, 'appeared');
    assert.deepEqual(reversed.flagsGained.map((f) => f.id).sort(), ['hours_over_60', 'passports_retained']);
  });

  it('When an answer is hidden by a condition on one side, then it counts as not answered there', () => {
    const before = answerSetOf(deps, v1, { answers: stored(earlier), evidence: [] });
    const after = answerSetOf(deps, v1, { answers: stored({ ...earlier, employs_migrants: 'no' }), evidence: [] });
    const kinds = Object.fromEntries(compareAnswerSets(after, before).changes.map((c) => [c.questionId, c.kind]));
    assert.equal(kinds.employs_migrants, 'changed');
    assert.equal(kinds.migrant_share, 'disappeared');
    assert.equal(kinds.passports_held, 'disappeared');
  });

  it('When the sets are of different versions, then questions are matched by id and those added, removed or changed in kind are listed as not comparable', () => {
    const before = answerSetOf(deps, v1, { answers: stored(earlier), evidence: [] });
    const after = answerSetOf(deps, v2, { answers: stored({ ...earlier, workers: 'large', audited: 'yes', founded: undefined, weekly_hours: 61 }), evidence: [] });
    const comparison = compareAnswerSets(after, before);
    assert.equal(comparison.sameVersion, false);
    const notComparable = Object.fromEntries(comparison.notComparable.map((n) => [n.questionId, `${n.reason}:${n.answered}`]));
    assert.deepEqual(notComparable, { workers: 'typeChanged:true', audited: 'newQuestion:true', founded: 'removedQuestion:true' });
    const kinds = Object.fromEntries(comparison.changes.map((c) => [c.questionId, c.kind]));
    assert.equal(kinds.weekly_hours, 'changed');
    assert.equal(kinds.company_name, 'unchanged');
    assert.equal(kinds.workers, undefined);
    assert.deepEqual(comparison.flagsKept.map((f) => f.id).sort(), ['hours_over_60', 'passports_retained'], 'flag ids are stable across versions');
  });
});

describe('Comparison page', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'compare' });
  });
  after(async () => {
    await t.close();
  });

  it('When a supplier answered an earlier campaign, then its new response is compared with that by default, showing changed answers and flags gained or lost', async () => {
    const first = await createSupplierLink(t, { campaignName: 'Code of conduct 2025' });
    await answerQuestionnaire(t, first, { answers: { id_documents_retained: 'yes', workers_total: '80' } });
    t.clock.advance(86_400_000);
    const second = await createSupplierLink(t, { organisation: first.organisation, supplierId: first.supplierId, campaignName: 'Code of conduct 2026' });
    const ctx = await answerQuestionnaire(t, second, { answers: { id_documents_retained: 'no', workers_total: '95', free_to_resign: 'yes' } });
    const id = ctx.response._id.toHexString();

    const agent = await loginAgent(t.app, first.organisation.buyer);
    const show = await agent.get(`/responses/${id}`).expect(200);
    assert.match(show.text, new RegExp(`<a href="/responses/${id}/compare">Compare with the supplier&#39;s earlier answers</a>`));
    const page = await agent.get(`/responses/${id}/compare`).expect(200);
    assert.match(page.text, /<option value="[0-9a-f]{24}-1" selected>Code of conduct 2025, submission 1 \(15 Jan 2026, 10:00\)<\/option>/);
    assert.match(page.text, /<h3>2 red flags no longer raised<\/h3>/);
    assert.match(page.text, /Workers&#39; identity documents are held by the employer or an agent\./);
    const row = /<tr class="compare-row compare-row--changed">\s*<th scope="row">How many workers[\s\S]*?<\/tr>/.exec(page.text)?.[0] ?? '';
    assert.match(row, /<td>Changed<\/td>\s*<td>80 people<\/td>\s*<td>95 people<\/td>/);
    assert.doesNotMatch(page.text, /compare-row--unchanged/);
    const all = await agent.get(`/responses/${id}/compare?all=1`).expect(200);
    assert.match(all.text, /compare-row--unchanged/);

    const earlierPage = await agent.get(`/responses/${(await answerQuestionnaire(t, await createSupplierLink(t, { organisation: first.organisation }), {})).response._id.toHexString()}/compare`).expect(200);
    assert.match(earlierPage.text, /This supplier has no earlier submission to compare with\./);
  });

  it('When a comparison is asked for with a submission that is not the supplier\'s earlier one, then 404; a malformed one is 404 too', async () => {
    const mine = await createSupplierLink(t);
    await answerQuestionnaire(t, mine);
    t.clock.advance(1000);
    const again = await createSupplierLink(t, { organisation: mine.organisation, supplierId: mine.supplierId, campaignName: 'Again' });
    const id = (await answerQuestionnaire(t, again)).response._id.toHexString();
    const stranger = await createSupplierLink(t, { organisation: mine.organisation, campaignName: 'Another supplier' });
    const strangerId = (await answerQuestionnaire(t, stranger)).response._id.toHexString();
    const agent = await loginAgent(t.app, mine.organisation.buyer);
    await agent.get(`/responses/${id}/compare?with=${strangerId}-1`).expect(404);
    await agent.get(`/responses/${id}/compare?with=${id}-1`).expect(404);
    await agent.get(`/responses/${id}/compare?with=%24ne`).expect(404);
    await agent.get(`/responses/${id}/compare?with=a&with=b`).expect(400);
  });
});
