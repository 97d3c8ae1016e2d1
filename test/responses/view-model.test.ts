import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import type { Translate } from '../../src/platform/i18n';
import { findQuestion } from '../../src/responses/service';
import type { ResponseData } from '../../src/responses/model';
import { formatAnswer, inputValue, questionView, sectionNav } from '../../src/responses/view-model';
import { shippedQuestionnaires } from '../helpers/app';
import { SAQ } from './fixtures';

const t: Translate = (key, params) => (params && Object.keys(params).length > 0 ? `${key} ${JSON.stringify(params)}` : key);

function emptyResponse(): ResponseData {
  const id = new mongoose.Types.ObjectId();
  return {
    _id: id,
    invitationId: id,
    organisationId: id,
    campaignId: id,
    supplierId: id,
    questionnaireId: SAQ.id,
    questionnaireVersion: SAQ.version,
    definitionHash: 'x',
    status: 'draft',
    answers: {},
    evidence: [],
  };
}

describe('Supplier form view model', () => {
  const definition = shippedQuestionnaires().get(SAQ.id, SAQ.version);
  if (!definition) throw new Error('SAQ not loaded');

  it('When a number is shown for editing, then it is written the way the supplier types it in their language', () => {
    assert.equal(inputValue(37.5, 'sv'), '37,5');
    assert.equal(inputValue(37.5, 'en'), '37.5');
    assert.equal(inputValue(undefined, 'sv'), '');
  });

  it('When answers are listed, then choices show their labels and numbers, dates and countries follow the language', () => {
    const q = (id: string) => findQuestion(definition, id).question;
    const hours = q('normal_weekly_hours');
    const unit = 'unit' in hours && hours.unit ? ` ${hours.unit.sv}` : '';
    assert.equal(formatAnswer(hours, 1234.5, 'sv', t)?.replace(/\s/g, ' '), `1 234,5${unit}`);
    assert.equal(formatAnswer(hours, 1234.5, 'en', t), `1,234.5${unit ? ` ${'unit' in hours && hours.unit ? hours.unit.en : ''}` : ''}`);
    assert.equal(formatAnswer(q('head_office_country'), 'SE', 'en', t), 'Sweden');
    assert.equal(formatAnswer(q('head_office_country'), 'SE', 'sv', t), 'Sverige');
    assert.equal(formatAnswer(q('last_fire_drill'), '2025-11-03', 'sv', t), '3 november 2025');
    assert.equal(formatAnswer(q('last_fire_drill'), '2025-11-03', 'en', t), '3 November 2025');
    assert.equal(formatAnswer(q('id_documents_retained'), 'no', 'en', t), 'supplier:answer.no');
    assert.equal(formatAnswer(q('free_to_resign'), undefined, 'en', t), undefined);
  });

  it('When a field has an error, then its input is described by the hint and the error, and the summary targets the first option of a group', () => {
    const response = emptyResponse();
    const errors = { company_role: { key: 'questionnaire:errors.unknownOption', params: {} } };
    const group = questionView(findQuestion(definition, 'company_role').question, { answers: {}, input: { company_role: 'x' }, errors, response, lang: 'en', t });
    assert.equal(group.targetId, 'q-company_role-manufacturer');
    assert.match(group.describedBy, /q-company_role-error/);
    assert.equal(group.error, 'questionnaire:errors.unknownOption');
    const text = questionView(findQuestion(definition, 'workers_total').question, { answers: { workers_total: 120 }, errors: {}, response, lang: 'sv', t });
    assert.equal(text.targetId, 'q-workers_total');
    assert.equal(text.value, '120');
    assert.equal(text.error, undefined);
  });

  it('When a condition hides a whole section, then the section list leaves it out', () => {
    const withoutHousing = sectionNav(definition, { provides_housing: 'no' }, 'company_profile', 'en', t).map((s) => s.id);
    const withHousing = sectionNav(definition, { provides_housing: 'yes' }, 'company_profile', 'en', t).map((s) => s.id);
    assert.ok(!withoutHousing.includes('housing'));
    assert.ok(withHousing.includes('housing'));
    const current = sectionNav(definition, {}, 'forced_labour', 'en', t).find((s) => s.current);
    assert.equal(current?.id, 'forced_labour');
  });
});
