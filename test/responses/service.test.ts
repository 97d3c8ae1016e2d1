import assert from 'node:assert/strict';
import { resolveInvitation } from '../../src/campaigns/invitation-service';
import { HttpError } from '../../src/platform/errors';
import { responseModel } from '../../src/responses/model';
import { answersOf, openResponse, saveAnswers, submitResponse, type SupplierContext } from '../../src/responses/service';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createSupplierLink, sectionInputs } from './fixtures';

describe('Response service (no HTTP)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'responses_service' });
  });
  after(async () => {
    await t.close();
  });

  async function openFresh(): Promise<SupplierContext> {
    const link = await createSupplierLink(t);
    const resolution = await resolveInvitation(t.deps, link.token);
    assert.equal(resolution.status, 'valid');
    if (resolution.status !== 'valid') throw new Error('unreachable');
    return openResponse(t.deps, resolution.invitation);
  }

  async function stored(ctx: SupplierContext): Promise<Record<string, unknown>> {
    const doc = await responseModel(t.deps.connection).findById(ctx.response._id).lean();
    const answers: unknown = doc?.answers;
    return typeof answers === 'object' && answers !== null ? (answers as Record<string, unknown>) : {};
  }

  it('When the same invitation is opened twice at once, then there is one response recording the exact questionnaire version', async () => {
    const link = await createSupplierLink(t);
    const resolution = await resolveInvitation(t.deps, link.token);
    if (resolution.status !== 'valid') throw new Error('expected a valid link');
    const [a, b] = await Promise.all([openResponse(t.deps, resolution.invitation), openResponse(t.deps, resolution.invitation)]);
    assert.equal(a.response._id.toHexString(), b.response._id.toHexString());
    assert.equal(a.response.questionnaireId, 'code-of-conduct-saq');
    assert.equal(a.response.questionnaireVersion, 1);
    assert.match(a.response.definitionHash, /^[0-9a-f]{64}$/);
    assert.equal(await responseModel(t.deps.connection).countDocuments({ invitationId: resolution.invitation._id }), 1);
  });

  it('When one answer of a section is invalid, then nothing of the section is saved and the error names the field', async () => {
    const ctx = await openFresh();
    const outcome = await saveAnswers(t.deps, ctx, {
      sectionId: 'company_profile',
      input: { company_name: 'Nordisk Vårdtextil AB', workers_total: 'many' },
      mode: 'section',
      locale: 'en',
    });
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.deepEqual(Object.keys(outcome.errors), ['workers_total']);
    assert.match(outcome.errors.workers_total?.key ?? '', /^questionnaire:errors\./);
    assert.deepEqual(await stored(ctx), {});
  });

  it('When answers are posted for questions hidden by a condition, then they are discarded, also stored ones that become hidden', async () => {
    const ctx = await openFresh();
    const first = await saveAnswers(t.deps, ctx, {
      sectionId: 'migrant_and_agency_workers',
      input: { employs_migrants: 'yes', migrant_share: '30', migrant_safeguards: 'yes', uses_agencies: 'no', agency_workers_share: '50', provides_housing: 'no' },
      mode: 'section',
      locale: 'en',
    });
    assert.equal(first.ok, true);
    let answers = await stored(ctx);
    assert.ok('migrant_share' in answers);
    assert.ok(!('agency_workers_share' in answers), 'hidden by uses_agencies = no');

    const again = await openResponse(t.deps, ctx.invitation);
    const second = await saveAnswers(t.deps, again, {
      sectionId: 'migrant_and_agency_workers',
      input: { employs_migrants: 'no', migrant_share: '30', migrant_safeguards: 'yes', uses_agencies: 'no', provides_housing: 'no' },
      mode: 'section',
      locale: 'en',
    });
    assert.equal(second.ok, true);
    answers = await stored(ctx);
    assert.ok(!('migrant_share' in answers));
    assert.ok(!('migrant_safeguards' in answers));
    assert.equal((answers.employs_migrants as { value: unknown }).value, 'no');
  });

  it('When two tabs save different questions at the same moment, then neither answer is lost', async () => {
    const ctx = await openFresh();
    const [a, b] = await Promise.all([
      saveAnswers(t.deps, ctx, { sectionId: 'forced_labour', input: { id_documents_retained: 'no' }, mode: 'fields', locale: 'en' }),
      saveAnswers(t.deps, ctx, { sectionId: 'forced_labour', input: { recruitment_fees_paid: 'yes' }, mode: 'fields', locale: 'en' }),
    ]);
    assert.ok(a.ok && b.ok);
    const answers = answersOf(await responseModel(t.deps.connection).findById(ctx.response._id).orFail(), ctx.definition);
    assert.equal(answers.id_documents_retained, 'no');
    assert.equal(answers.recruitment_fees_paid, 'yes');
  });

  /** The response as this process now serves it (cache) must be exactly what the database holds. */
  async function assertCacheMatchesDatabase(ctx: SupplierContext): Promise<void> {
    const served = await openResponse(t.deps, ctx.invitation);
    const inDatabase = await responseModel(t.deps.connection).collection.findOne({ _id: ctx.response._id });
    assert.ok(inDatabase);
    assert.equal(served.response.revision, inDatabase.revision);
    assert.deepEqual(answersOf(served.response, ctx.definition), answersOf(inDatabase as never, ctx.definition));
    assert.equal(served.response.lastSectionId, inDatabase.lastSectionId);
  }

  it('When many saves of one response run at once, then the copy served next is exactly the database state', async () => {
    const ctx = await openFresh();
    const questions = ['id_documents_retained', 'recruitment_fees_paid', 'loans_to_workers', 'free_to_resign', 'overtime_voluntary', 'wages_paid_directly'];
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        saveAnswers(t.deps, ctx, { sectionId: 'forced_labour', input: { [questions[i % questions.length] as string]: i % 2 === 0 ? 'yes' : 'no' }, mode: 'fields', locale: 'en' }),
      ),
    );
    assert.ok(outcomes.every((outcome) => outcome.ok));
    await assertCacheMatchesDatabase(ctx);
  });

  it('When many suppliers save at the same moment, then every response served next is exactly its database state', async () => {
    const contexts = await Promise.all(Array.from({ length: 12 }, () => openFresh()));
    const outcomes = await Promise.all(
      contexts.flatMap((ctx, i) => [
        saveAnswers(t.deps, ctx, { sectionId: 'forced_labour', input: { free_to_resign: i % 2 === 0 ? 'yes' : 'no' }, mode: 'fields', locale: 'en' }),
        saveAnswers(t.deps, ctx, { sectionId: 'forced_labour', input: { loans_to_workers: 'no' }, mode: 'fields', locale: 'en' }),
      ]),
    );
    assert.ok(outcomes.every((outcome) => outcome.ok));
    for (const ctx of contexts) await assertCacheMatchesDatabase(ctx);
  });

  it('When another app instance saved in between, then the next request reads the response again and loses neither answer', async () => {
    const ctx = await openFresh();
    await saveAnswers(t.deps, ctx, { sectionId: 'forced_labour', input: { id_documents_retained: 'no' }, mode: 'fields', locale: 'en' });
    // Another instance: a write this process never saw (the revision moves on without passing through its cache).
    await responseModel(t.deps.connection).collection.updateOne(
      { _id: ctx.response._id },
      { $set: { 'answers.loans_to_workers': { value: 'yes', updatedAt: t.clock.now() } }, $inc: { revision: 1 } },
    );
    const outcome = await saveAnswers(t.deps, await openResponse(t.deps, ctx.invitation), {
      sectionId: 'forced_labour',
      input: { recruitment_fees_paid: 'yes' },
      mode: 'fields',
      locale: 'en',
    });
    assert.ok(outcome.ok);
    assert.ok(outcome.ok);
    const answers = answersOf((await openResponse(t.deps, ctx.invitation)).response, ctx.definition);
    assert.equal(answers.id_documents_retained, 'no');
    assert.equal(answers.loans_to_workers, 'yes', 'the other instance\'s answer is in the state served next');
    assert.equal(answers.recruitment_fees_paid, 'yes');
    await assertCacheMatchesDatabase(ctx);
  });

  it('When two tabs save the same question, then the later save is kept', async () => {
    const ctx = await openFresh();
    await saveAnswers(t.deps, ctx, { sectionId: 'forced_labour', input: { free_to_resign: 'no' }, mode: 'fields', locale: 'en' });
    t.clock.advance(1000);
    await saveAnswers(t.deps, ctx, { sectionId: 'forced_labour', input: { free_to_resign: 'yes' }, mode: 'fields', locale: 'en' });
    const answers = await stored(ctx);
    assert.deepEqual(answers.free_to_resign, { value: 'yes', updatedAt: t.clock.now() });
  });

  it('When a whole-section post from an older page leaves a field empty, then an answer saved after that page was shown is kept', async () => {
    const ctx = await openFresh();
    const renderedAt = t.clock.now();
    t.clock.advance(1000);
    await saveAnswers(t.deps, ctx, { sectionId: 'anti_corruption', input: { corruption_proceedings: 'no' }, mode: 'fields', locale: 'en' });
    t.clock.advance(1000);
    const outcome = await saveAnswers(t.deps, ctx, {
      sectionId: 'anti_corruption',
      input: { anti_bribery_policy: 'no', gifts_to_officials_or_auditors: 'no' },
      mode: 'section',
      locale: 'en',
      renderedAt,
    });
    assert.equal(outcome.ok, true);
    const answers = await stored(ctx);
    assert.deepEqual(Object.keys(answers).sort(), ['anti_bribery_policy', 'corruption_proceedings', 'gifts_to_officials_or_auditors']);
  });

  it('When a question or section id does not exist, then 400 / 404 and nothing is saved', async () => {
    const ctx = await openFresh();
    await assert.rejects(
      saveAnswers(t.deps, ctx, { sectionId: 'company_profile', input: { no_such_question: 'x' }, mode: 'fields', locale: 'en' }),
      (error: unknown) => error instanceof HttpError && error.status === 400,
    );
    await assert.rejects(
      saveAnswers(t.deps, ctx, { sectionId: 'company_profile', input: { free_to_resign: 'yes' }, mode: 'fields', locale: 'en' }),
      (error: unknown) => error instanceof HttpError && error.status === 400,
      'a question of another section',
    );
    await assert.rejects(
      saveAnswers(t.deps, ctx, { sectionId: 'no_such_section', input: {}, mode: 'section', locale: 'en' }),
      (error: unknown) => error instanceof HttpError && error.status === 404,
    );
    assert.deepEqual(await stored(ctx), {});
  });

  it('When required answers or the declaration are missing, then submit is refused; when complete, the response is submitted and read-only', async () => {
    let ctx = await openFresh();
    const refused = await submitResponse(t.deps, ctx, { name: '', role: '' });
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.ok(refused.missing.length > 40);
      assert.deepEqual(Object.keys(refused.errors).sort(), ['declaration-confirm', 'declaration-name', 'declaration-role']);
    }
    for (const section of ctx.definition.sections) {
      // Answers can reveal follow-up questions in the same section: save until nothing new appears.
      for (let round = 0; round < 3; round += 1) {
        const answers = answersOf(ctx.response, ctx.definition);
        const outcome = await saveAnswers(t.deps, ctx, { sectionId: section.id, input: sectionInputs(section, answers), mode: 'section', locale: 'en' });
        assert.equal(outcome.ok, true, `section ${section.id}: ${JSON.stringify(outcome.ok ? {} : outcome.errors)}`);
        ctx = await openResponse(t.deps, ctx.invitation);
      }
    }
    const noConfirm = await submitResponse(t.deps, ctx, { name: 'Karin Lund', role: 'CSR manager' });
    assert.equal(noConfirm.ok, false);
    if (!noConfirm.ok) assert.deepEqual(noConfirm.missing, []);

    const submitted = await submitResponse(t.deps, ctx, { name: 'Karin Lund', role: 'CSR manager', confirm: 'yes' });
    assert.equal(submitted.ok, true);
    if (!submitted.ok) return;
    assert.equal(submitted.response.status, 'submitted');
    assert.deepEqual(submitted.response.submittedAt, t.clock.now());
    assert.equal(submitted.response.declaration?.name, 'Karin Lund');

    const before = await stored(ctx);
    await assert.rejects(
      saveAnswers(t.deps, ctx, { sectionId: 'forced_labour', input: { free_to_resign: 'no' }, mode: 'fields', locale: 'en' }),
      (error: unknown) => error instanceof HttpError && error.status === 409,
    );
    const stale = { ...ctx, response: ctx.response };
    await assert.rejects(
      submitResponse(t.deps, stale, { name: 'Someone else', role: 'x', confirm: 'yes' }),
      (error: unknown) => error instanceof HttpError && error.status === 409,
    );
    assert.deepEqual(await stored(ctx), before);
  });
});
