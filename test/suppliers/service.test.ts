import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { createCampaign, createInvitation } from '../../src/campaigns';
import { listActivity, recordActivity, ref, SYSTEM_ACTOR, type Actor } from '../../src/platform/activity';
import {
  createSupplier,
  deleteSupplier,
  DuplicateSupplierError,
  noteSupplierInvited,
  noteSupplierResponded,
  searchSuppliers,
  setSupplierArchived,
  SupplierConflictError,
  SupplierValidationError,
  updateSupplier,
  NEVER_INVITED,
  type SupplierFilterExtension,
} from '../../src/suppliers';
import { buildTestApp, createTestOrganisation, type TestApp, type TestOrganisation } from '../helpers/app';
import { createTestSupplier, organisationNumberFor } from '../helpers/suppliers';

const ANNA: Actor = { kind: 'user', id: 'u1', name: 'Anna Inköpare' };
const BO: Actor = { kind: 'user', id: 'u2', name: 'Bo Byggare' };

describe('supplier register service', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let other: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'suppliers_service' });
    org = await createTestOrganisation(t.deps, 'Region Service');
    other = await createTestOrganisation(t.deps, 'Region Other');
  });
  after(async () => {
    await t.close();
  });

  it('When a supplier is created, then its identifier is normalised and the creation is logged with the actor', async () => {
    const supplier = await createSupplier(
      t.deps,
      { organisationId: org.id, name: 'Nordisk Vårdtextil AB', country: 'se', organisationNumber: '5566778899', contacts: [{ name: 'Karin Lund', email: 'Karin.Lund@Example.se' }] },
      ANNA,
    );
    assert.equal(supplier.organisationNumber, '556677-8899');
    assert.equal(supplier.identifierKind, 'se');
    assert.equal(supplier.contacts[0]?.email, 'karin.lund@example.se');
    assert.equal(supplier.revision, 1);
    const { entries } = await listActivity(t.deps.connection, org.id, { ref: ref('supplier', supplier._id) });
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.action, 'supplier.created');
    assert.deepEqual(entries[0]?.actor, ANNA);
  });

  it('When the same organisation number is added again in another spelling, then it is refused as a duplicate naming the existing supplier', async () => {
    await assert.rejects(
      createSupplier(t.deps, { organisationId: org.id, name: 'Other name AB', country: 'SE', organisationNumber: 'SE556677889901', contacts: [{ name: 'X', email: 'x@example.se' }] }, ANNA),
      (error: unknown) => error instanceof DuplicateSupplierError && error.existing.name === 'Nordisk Vårdtextil AB' && error.field === 'organisationNumber',
    );
    // Another organisation may have the same supplier.
    await createSupplier(t.deps, { organisationId: other.id, name: 'Nordisk Vårdtextil AB', country: 'SE', organisationNumber: '556677-8899', contacts: [{ name: 'X', email: 'x@example.se' }] }, ANNA);
  });

  it('When a foreign supplier without a number repeats a name in the same country, then it is a duplicate; in another country it is not', async () => {
    const input = { organisationId: org.id, name: 'Bright Gloves Co., Ltd.', country: 'CN', contacts: [{ name: 'Li Wei', email: 'li@bright.example', language: 'en' as const }] };
    const first = await createSupplier(t.deps, input, ANNA);
    assert.equal(first.identifierKind, 'none');
    await assert.rejects(createSupplier(t.deps, { ...input, name: 'BRIGHT GLOVES CO LTD' }, ANNA), (error: unknown) => error instanceof DuplicateSupplierError && error.field === 'name');
    await createSupplier(t.deps, { ...input, country: 'VN' }, ANNA);
  });

  it('When input is invalid, then every problem is reported with its field and nothing is stored', async () => {
    await assert.rejects(
      createSupplier(t.deps, { organisationId: org.id, name: '', country: 'SE', organisationNumber: '556677-8898', contacts: [{ name: 'K', email: 'not-an-email' }] }, ANNA),
      (error: unknown) => {
        assert.ok(error instanceof SupplierValidationError);
        assert.deepEqual(error.problems.map((problem) => [problem.path, problem.key]).sort(), [
          ['contacts.0.email', 'suppliers:errors.email'],
          ['name', 'suppliers:errors.required'],
          ['organisationNumber', 'suppliers:identifier.seCheckDigit'],
        ]);
        return true;
      },
    );
    await assert.rejects(createSupplier(t.deps, { organisationId: org.id, name: 'No contact AB', country: 'SE', organisationNumber: organisationNumberFor(1), contacts: [] }, ANNA), SupplierValidationError);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'No contact' })).total, 0);
  });

  it('When NoSQL operators are given as field values, then they are refused as invalid', async () => {
    const hostile = { organisationId: org.id, name: { $gt: '' }, country: 'SE', organisationNumber: { $ne: null }, contacts: [{ name: 'K', email: 'k@example.se' }] } as unknown as Parameters<typeof createSupplier>[1];
    await assert.rejects(createSupplier(t.deps, hostile, ANNA), SupplierValidationError);
  });

  it('When two people edit from the same revision, then the second edit is refused with the stored state, not silently lost', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, { name: 'Concurrent AB' });
    const annas = await updateSupplier(t.deps, org.id, supplier._id, { changes: { sector: 'Textiles' }, revision: supplier.revision }, ANNA);
    assert.equal(annas.revision, 2);
    await assert.rejects(
      updateSupplier(t.deps, org.id, supplier._id, { changes: { sector: 'Metal' }, revision: supplier.revision }, BO),
      (error: unknown) => error instanceof SupplierConflictError && error.current.sector === 'Textiles' && error.current.revision === 2,
    );
    // Without a revision (an API PATCH of one field), the change merges into the latest state.
    const merged = await updateSupplier(t.deps, org.id, supplier._id, { changes: { tags: ['high risk'] } }, BO);
    assert.equal(merged.sector, 'Textiles');
    assert.deepEqual([...merged.tags], ['high risk']);
    const { entries } = await listActivity(t.deps.connection, org.id, { ref: ref('supplier', supplier._id), action: 'supplier.updated' });
    assert.deepEqual(entries.map((entry) => entry.details.fields), [['tags'], ['sector']]);
    assert.deepEqual((entries[1]?.details.changes as Record<string, unknown>).sector, { from: '', to: 'Textiles' });
  });

  it('When an edit changes nothing, then no revision or log entry is added', async () => {
    const supplier = await createTestSupplier(t.deps, org.id);
    const same = await updateSupplier(t.deps, org.id, supplier._id, { changes: { name: supplier.name }, revision: 1 }, ANNA);
    assert.equal(same.revision, 1);
    assert.equal((await listActivity(t.deps.connection, org.id, { ref: ref('supplier', supplier._id), action: 'supplier.updated' })).total, 0);
  });

  it("When another organisation's supplier is edited, archived or deleted, then it is not found", async () => {
    const foreign = await createTestSupplier(t.deps, other.id);
    await assert.rejects(updateSupplier(t.deps, org.id, foreign._id, { changes: { name: 'Stolen' } }, ANNA), /notFound/);
    await assert.rejects(setSupplierArchived(t.deps, org.id, foreign._id, true, ANNA), /notFound/);
    await assert.rejects(deleteSupplier(t.deps, org.id, foreign._id, ANNA), /notFound/);
    await assert.rejects(updateSupplier(t.deps, org.id, 'not-an-id', { changes: {} }, ANNA), /notFound/);
  });

  it('When a supplier is archived and brought back, then the register hides and shows it and both are logged', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, { name: 'Archivable Oy', country: 'FI', organisationNumber: 'FI12345678' });
    await setSupplierArchived(t.deps, org.id, supplier._id, true, ANNA);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'Archivable' })).total, 0);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'Archivable', status: 'archived' })).total, 1);
    await setSupplierArchived(t.deps, org.id, supplier._id, true, ANNA);
    await setSupplierArchived(t.deps, org.id, supplier._id, false, BO);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'Archivable' })).total, 1);
    const { entries } = await listActivity(t.deps.connection, org.id, { ref: ref('supplier', supplier._id) });
    assert.deepEqual(entries.map((entry) => entry.action).reverse(), ['supplier.created', 'supplier.archived', 'supplier.unarchived']);
  });

  it('When a supplier has no history, then it can be deleted; once in a campaign or mentioned by another domain, it cannot', async () => {
    const lonely = await createTestSupplier(t.deps, org.id);
    await deleteSupplier(t.deps, org.id, lonely._id, ANNA);
    assert.equal((await listActivity(t.deps.connection, org.id, { ref: ref('supplier', lonely._id), action: 'supplier.deleted' })).total, 1);

    const campaigned = await createTestSupplier(t.deps, org.id);
    await createCampaign(t.deps, { organisationId: org.id, actor: ANNA, name: 'C', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2027-01-01', supplierIds: [campaigned._id] });
    await assert.rejects(deleteSupplier(t.deps, org.id, campaigned._id, ANNA), /hasHistory/);

    const flagged = await createTestSupplier(t.deps, org.id);
    await recordActivity(t.deps.connection, { organisationId: org.id, actor: SYSTEM_ACTOR, action: 'flag.raised', subject: ref('flag', new mongoose.Types.ObjectId()), refs: [ref('supplier', flagged._id)], at: t.clock.now() });
    await assert.rejects(deleteSupplier(t.deps, org.id, flagged._id, ANNA), /hasHistory/);
  });

  it('When a supplier is invited to a campaign, then it is no longer "never invited" and can no longer be deleted', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, { name: 'Invited Once AB' });
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'invited once', filter: ['neverInvited'] })).total, 1);
    const campaign = await createCampaign(t.deps, { organisationId: org.id, actor: ANNA, name: 'Invite', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2027-01-01' });
    await createInvitation(t.deps, { organisationId: org.id, campaignId: campaign._id, supplierId: supplier._id, questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, language: 'sv' });
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'invited once', filter: ['neverInvited'] })).total, 0);
    await assert.rejects(deleteSupplier(t.deps, org.id, supplier._id, ANNA), /hasHistory/);
  });

  describe('search', () => {
    let searchOrg: TestOrganisation;
    before(async () => {
      searchOrg = await createTestOrganisation(t.deps, 'Region Search');
      const add = (name: string, overrides: Record<string, unknown> = {}) => createTestSupplier(t.deps, searchOrg.id, { name, ...overrides });
      await add('Åhléns Textil AB', { contacts: [{ name: 'Eva', email: 'eva@ahlens.example' }], sector: 'Textiles', tags: ['textiles'] });
      await add('Zeta Metall AB', { sector: 'Metal', tags: ['high risk'], sites: [{ name: 'Plant', country: 'PL', products: 'Surgical steel instruments' }] });
      await add('Ängel Plast AB', { organisationNumber: organisationNumberFor(424242) });
      await add('Beta (Pvt) Ltd', { country: 'PK', organisationNumber: 'PK-778899', contacts: [{ name: 'Ahmed', email: 'ahmed@beta.example', language: 'en' }] });
      await add('Gamma.* GmbH', { country: 'DE', organisationNumber: 'DE123456789' });
    });

    const names = async (filter: Parameters<typeof searchSuppliers>[2], extensions?: SupplierFilterExtension[]) =>
      (await searchSuppliers(t.deps.connection, searchOrg.id, filter, extensions)).rows.map((row) => row.name);

    it('When searching, then name, organisation number, contact email and products match without regard to case or diacritics', async () => {
      assert.deepEqual(await names({ q: 'AHLENS' }), ['Åhléns Textil AB']);
      assert.deepEqual(await names({ q: 'textil ahl' }), ['Åhléns Textil AB'], 'every word must match');
      assert.deepEqual(await names({ q: organisationNumberFor(424242).replace('-', '') }), ['Ängel Plast AB']);
      assert.deepEqual(await names({ q: '@beta.example' }), ['Beta (Pvt) Ltd']);
      assert.deepEqual(await names({ q: 'surgical STEEL' }), ['Zeta Metall AB']);
    });

    it('When the query holds regular-expression characters, then they match literally', async () => {
      assert.deepEqual(await names({ q: '.*' }), ['Gamma.* GmbH']);
      assert.deepEqual(await names({ q: '(Pvt)' }), ['Beta (Pvt) Ltd']);
      assert.deepEqual(await names({ q: '[' }), []);
      assert.deepEqual(await names({ q: '^$|a' }), []);
    });

    it('When filtering and sorting, then the register answers in Swedish order with Å, Ä, Ö after Z', async () => {
      assert.deepEqual(await names({}), ['Beta (Pvt) Ltd', 'Gamma.* GmbH', 'Zeta Metall AB', 'Åhléns Textil AB', 'Ängel Plast AB']);
      assert.deepEqual(await names({ sort: 'name', order: 'desc' }), ['Ängel Plast AB', 'Åhléns Textil AB', 'Zeta Metall AB', 'Gamma.* GmbH', 'Beta (Pvt) Ltd']);
      assert.deepEqual(await names({ country: 'PK' }), ['Beta (Pvt) Ltd']);
      assert.deepEqual(await names({ sector: 'Metal' }), ['Zeta Metall AB']);
      assert.deepEqual(await names({ tag: 'textiles' }), ['Åhléns Textil AB']);
      assert.deepEqual(await names({ sort: 'country' }), ['Gamma.* GmbH', 'Beta (Pvt) Ltd', 'Zeta Metall AB', 'Åhléns Textil AB', 'Ängel Plast AB']);
      const page = await searchSuppliers(t.deps.connection, searchOrg.id, { pageSize: 2, page: 3 });
      assert.deepEqual([page.total, page.pages, page.page, page.rows.length], [5, 3, 3, 1]);
      assert.equal((await searchSuppliers(t.deps.connection, searchOrg.id, { pageSize: 2, page: 99 })).page, 3, 'a page past the end shows the last');
    });

    it('When suppliers are invited and respond, then "never invited" and "latest response" follow', async () => {
      const [zeta] = (await searchSuppliers(t.deps.connection, searchOrg.id, { q: 'zeta' })).rows;
      const [beta] = (await searchSuppliers(t.deps.connection, searchOrg.id, { q: 'beta' })).rows;
      assert.ok(zeta && beta);
      await noteSupplierInvited(t.deps.connection, searchOrg.id, [zeta._id, beta._id], new Date('2026-02-01'));
      await noteSupplierResponded(t.deps.connection, searchOrg.id, beta._id, new Date('2026-02-10'));
      await noteSupplierResponded(t.deps.connection, searchOrg.id, zeta._id, new Date('2026-02-20'));
      // An older note never moves the date back.
      await noteSupplierResponded(t.deps.connection, searchOrg.id, zeta._id, new Date('2026-01-01'));
      assert.deepEqual(await names({ filter: ['neverInvited'] }), ['Gamma.* GmbH', 'Åhléns Textil AB', 'Ängel Plast AB']);
      assert.deepEqual((await names({ sort: 'lastResponse' })).slice(0, 2), ['Zeta Metall AB', 'Beta (Pvt) Ltd']);
    });

    it('When another domain adds a filter, then the register applies it; an unknown filter is refused', async () => {
      const germanOnly: SupplierFilterExtension = { name: 'openFollowUp', labelKey: 'x', condition: async () => ({ country: 'DE' }) };
      assert.deepEqual(await names({ filter: ['openFollowUp'] }, [NEVER_INVITED, germanOnly]), ['Gamma.* GmbH']);
      await assert.rejects(names({ filter: ['openFollowUp'] }), /unknown filter/);
    });
  });
});
