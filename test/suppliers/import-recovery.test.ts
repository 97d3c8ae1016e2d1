import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { listActivity, ref, SYSTEM_ACTOR } from '../../src/platform/activity';
import { searchSuppliers, getSupplier } from '../../src/suppliers';
import { importModels } from '../../src/suppliers/import/model';
import { confirmImport, previewImport, SETTLE_IMPORT_JOB, settleImport } from '../../src/suppliers/import/service';
import { parseSupplierFields, newSupplierDocument } from '../../src/suppliers/service';
import { supplierModel } from '../../src/suppliers/model';
import { buildTestApp, createTestOrganisation, type TestApp, type TestOrganisation } from '../helpers/app';
import { organisationNumberFor } from '../helpers/suppliers';
import { csvUtf8 } from './import-files';

const TEN_MINUTES = 10 * 60 * 1000;

describe('supplier import: all or nothing across failures', () => {
  let t: TestApp;
  let org: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'suppliers_import_recovery' });
    org = await createTestOrganisation(t.deps, 'Region Recovery');
  });
  after(async () => {
    await t.close();
  });

  const file = (seed: number, name: string) =>
    csvUtf8(['Namn;Organisationsnummer;Land;Kontaktperson;E-post', `${name};${organisationNumberFor(seed)};SE;Kim;kim${seed}@recovery.example`]);

  /** What a confirmation that died half-way leaves: the import claimed, one supplier inserted but not committed. */
  async function halfConfirmed(seed: number, name: string, status: 'importing' | 'committed') {
    const record = await previewImport(t.deps, { organisationId: org.id, actor: SYSTEM_ACTOR, fileName: 'x.csv', buffer: file(seed, name), lang: 'en' });
    const now = t.clock.now();
    await importModels(t.deps.connection).imports.collection.updateOne({ _id: record._id }, { $set: { status, importedAt: now, confirmedBy: SYSTEM_ACTOR } });
    const fields = parseSupplierFields({ name, country: 'SE', organisationNumber: organisationNumberFor(seed), contacts: [{ name: 'Kim', email: `kim${seed}@recovery.example` }] });
    const doc: Record<string, unknown> = { ...newSupplierDocument(new mongoose.Types.ObjectId(org.id), fields, now), importId: record._id, pendingImportId: record._id };
    await supplierModel(t.deps.connection).collection.insertOne(doc);
    await t.deps.scheduler.schedule(SETTLE_IMPORT_JOB, record._id.toHexString(), new Date(now.getTime() + TEN_MINUTES));
    return { record, supplierId: doc._id as mongoose.Types.ObjectId };
  }

  it('When a confirmation dies before its commit, then its suppliers never show and the settle job makes it a preview again', async () => {
    const { record, supplierId } = await halfConfirmed(9001, 'Crashed Before Commit AB', 'importing');
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'crashed before' })).total, 0);
    assert.equal(await getSupplier(t.deps.connection, org.id, supplierId), null);
    t.clock.advance(TEN_MINUTES + 1000);
    await t.runJobs();
    assert.equal(await supplierModel(t.deps.connection).collection.countDocuments({ _id: supplierId }), 0, 'the pending supplier is gone');
    const again = await importModels(t.deps.connection).imports.collection.findOne({ _id: record._id });
    assert.equal(again?.status, 'preview');
    // The expired preview cannot be confirmed any more; a fresh upload can.
    const fresh = await previewImport(t.deps, { organisationId: org.id, actor: SYSTEM_ACTOR, fileName: 'x.csv', buffer: file(9001, 'Crashed Before Commit AB'), lang: 'en' });
    const outcome = await confirmImport(t.deps, org.id, fresh._id, SYSTEM_ACTOR);
    assert.equal(outcome.created, 1);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'crashed before' })).total, 1);
  });

  it('When a confirmation dies after its commit, then the settle job finishes it, and settling twice logs once', async () => {
    const { record, supplierId } = await halfConfirmed(9002, 'Crashed After Commit AB', 'committed');
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'crashed after' })).total, 0);
    t.clock.advance(TEN_MINUTES + 1000);
    await t.runJobs();
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'crashed after' })).total, 1);
    await settleImport(t.deps, record._id);
    const created = await listActivity(t.deps.connection, org.id, { ref: ref('supplier', supplierId), action: 'supplier.created' });
    assert.equal(created.total, 1);
    assert.equal((await listActivity(t.deps.connection, org.id, { ref: ref('import', record._id), action: 'supplier.imported' })).total, 1);
    assert.equal((await importModels(t.deps.connection).imports.collection.findOne({ _id: record._id }))?.status, 'imported');
  });

  it('When two files hold the same supplier, then the later confirmation re-checks the register and skips it', async () => {
    const first = await previewImport(t.deps, { organisationId: org.id, actor: SYSTEM_ACTOR, fileName: 'a.csv', buffer: file(9003, 'Raced AB'), lang: 'en' });
    const second = await previewImport(t.deps, {
      organisationId: org.id,
      actor: SYSTEM_ACTOR,
      fileName: 'b.csv',
      buffer: csvUtf8(['Namn;Organisationsnummer;Land;Kontaktperson;E-post', `Raced AB;${organisationNumberFor(9003)};SE;Kim;kim@b.example`, `Bystander AB;${organisationNumberFor(9004)};SE;Bo;bo@b.example`]),
      lang: 'en',
    });
    await confirmImport(t.deps, org.id, first._id, SYSTEM_ACTOR);
    // The second preview was checked before the first import; its confirmation re-checks and skips the taken row.
    const outcome = await confirmImport(t.deps, org.id, second._id, SYSTEM_ACTOR);
    assert.equal(outcome.created, 1);
    assert.equal(outcome.skippedAsDuplicates, 1);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'raced' })).total, 1);
  });
});
