import assert from 'node:assert/strict';
import { createCampaign, getCampaign, listCampaigns } from '../../src/campaigns';
import { SYSTEM_ACTOR } from '../../src/platform/activity';
import { HttpError } from '../../src/platform/errors';
import { createSupplier, getSupplier, listSuppliers, SupplierValidationError } from '../../src/suppliers';
import { buildTestApp, createTestOrganisation, type TestApp, type TestOrganisation } from '../helpers/app';
import { organisationNumberFor } from '../helpers/suppliers';

describe('supplier and campaign services', () => {
  let t: TestApp;
  let a: TestOrganisation;
  let b: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'domain_services' });
    a = await createTestOrganisation(t.deps, 'Org A');
    b = await createTestOrganisation(t.deps, 'Org B');
  });
  after(async () => {
    await t.close();
  });

  const supplierInput = (organisationId: string, seed: number) => ({
    organisationId,
    name: `Supplier ${seed}`,
    country: 'se',
    organisationNumber: organisationNumberFor(seed),
    contacts: [{ name: 'Kim', email: `kim@s${seed}.example` }],
  });

  it('When a supplier is created, then the country is upper-cased and the language defaults to Swedish', async () => {
    const supplier = await createSupplier(t.deps, supplierInput(a.id, 100), SYSTEM_ACTOR);
    assert.equal(supplier.country, 'SE');
    assert.equal(supplier.contacts[0]?.language, 'sv');
  });

  it('When supplier input is invalid, then it is refused before anything is stored', async () => {
    await assert.rejects(createSupplier(t.deps, { ...supplierInput(a.id, 101), country: 'Sweden' }, SYSTEM_ACTOR), (error: unknown) => error instanceof SupplierValidationError && error.problems.some((problem) => problem.path === 'country'));
    await assert.rejects(createSupplier(t.deps, { ...supplierInput(a.id, 102), contacts: [{ name: 'Kim', email: 'nope' }] }, SYSTEM_ACTOR));
    assert.equal((await listSuppliers(t.deps.connection, a.id)).some((s) => s.organisationNumber !== organisationNumberFor(100)), false);
  });

  it("When another organisation's supplier is asked for, then it is not found", async () => {
    const [own] = await listSuppliers(t.deps.connection, a.id);
    assert.ok(own);
    assert.ok(await getSupplier(t.deps.connection, a.id, own._id));
    assert.equal(await getSupplier(t.deps.connection, b.id, own._id), null);
    assert.equal(await getSupplier(t.deps.connection, a.id, 'not-an-id'), null);
  });

  const actor = { kind: 'system' as const, name: 'test' };

  it('When a campaign names a questionnaire version that does not exist, then it is refused naming the field', async () => {
    await assert.rejects(
      createCampaign(t.deps, { organisationId: a.id, actor, name: 'X', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 999, dueDate: '2026-12-31' }),
      (error: unknown) => error instanceof HttpError && error.status === 400 && error.field === 'questionnaire' && error.params.questionnaire === 'code-of-conduct-saq@999',
    );
  });

  it("When a campaign includes another organisation's supplier, then it is refused and nothing is stored", async () => {
    const foreign = await createSupplier(t.deps, supplierInput(b.id, 200), SYSTEM_ACTOR);
    await assert.rejects(
      createCampaign(t.deps, {
        organisationId: a.id,
        actor,
        name: 'Sneaky',
        questionnaireId: 'code-of-conduct-saq',
        questionnaireVersion: 1,
        dueDate: '2026-12-31',
        supplierIds: [foreign._id],
      }),
      (error: unknown) => error instanceof HttpError && error.field === 'supplierIds',
    );
    assert.equal((await listCampaigns(t.deps.connection, a.id)).length, 0);
  });

  it('When a campaign is created, then it is a draft that only its own organisation can find', async () => {
    const campaign = await createCampaign(t.deps, { organisationId: a.id, actor, name: 'Lifecycle', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2026-12-31' });
    assert.equal(campaign.status, 'draft');
    assert.equal((await getCampaign(t.deps.connection, a.id, campaign._id))?.name, 'Lifecycle');
    assert.equal(await getCampaign(t.deps.connection, b.id, campaign._id), null);
    assert.equal(await getCampaign(t.deps.connection, a.id, 'not-an-id'), null);
  });
});
