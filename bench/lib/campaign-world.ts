/**
 * What the campaign benchmarks share: an organisation with a buyer and many suppliers (written in bulk, as the
 * register's import writes them), and a draft campaign to all of them. A helper, not a benchmark: bench/run.ts runs
 * only the files directly in bench/.
 */
import type mongoose from 'mongoose';
import { createOrganisation, createUser, TEST_PASSWORD_HASHING } from '../../src/accounts';
import { createCampaign, type CampaignDocument } from '../../src/campaigns';
import type { AppDeps } from '../../src/deps';
import type { Actor } from '../../src/platform/activity';
import { supplierModel } from '../../src/suppliers';
import { newSupplierDocument, parseSupplierFields } from '../../src/suppliers/service';
import { organisationNumberFor } from '../../test/helpers/suppliers';

export interface BenchOrganisation {
  organisationId: mongoose.Types.ObjectId;
  buyer: { id: string; name: string; email: string; password: string };
  supplierIds: mongoose.Types.ObjectId[];
}

/** An organisation with a buyer and `count` Swedish suppliers of one contact each (half Swedish-, half English-speaking). */
export async function benchOrganisation(deps: AppDeps, count: number): Promise<BenchOrganisation> {
  const organisation = await createOrganisation(deps.connection, { name: 'Bench Region', contactName: 'Inköp', contactEmail: 'inkop@bench.example' });
  const password = 'bench-buyer-password';
  const user = await createUser(
    deps.connection,
    { email: 'buyer@bench.example', name: 'Bench Buyer', password, roles: ['buyer'], organisationId: organisation._id, locale: 'en' },
    { hashing: TEST_PASSWORD_HASHING },
  );
  const now = deps.clock.now();
  const documents = Array.from({ length: count }, (_, i) =>
    newSupplierDocument(
      organisation._id,
      parseSupplierFields({
        name: `Bench Supplier ${String(i).padStart(5, '0')} AB`,
        country: 'SE',
        organisationNumber: organisationNumberFor(i),
        sector: i % 3 === 0 ? 'Textiles' : 'Medical devices',
        tags: i % 4 === 0 ? ['tier-1'] : [],
        contacts: [{ name: `Contact ${i}`, email: `contact${i}@supplier${i}.example`, language: i % 2 === 0 ? 'sv' : 'en' }],
      }),
      now,
    ),
  );
  await supplierModel(deps.connection).collection.insertMany(documents);
  return {
    organisationId: organisation._id,
    buyer: { id: user.id, name: user.name, email: user.email, password },
    supplierIds: documents.map((doc) => doc._id as mongoose.Types.ObjectId),
  };
}

/** A draft campaign of the SAQ to every supplier of the organisation, due in 30 days. */
export async function benchCampaign(deps: AppDeps, world: BenchOrganisation): Promise<{ campaign: CampaignDocument; actor: Actor }> {
  const actor: Actor = { kind: 'user', id: world.buyer.id, name: world.buyer.name };
  const campaign = await createCampaign(deps, {
    organisationId: world.organisationId,
    actor,
    name: 'Bench campaign',
    questionnaireId: 'code-of-conduct-saq',
    questionnaireVersion: 1,
    dueDate: new Date(deps.clock.now().getTime() + 30 * 86_400_000),
    buyerContact: { name: 'Bench Buyer', email: 'buyer@bench.example' },
    supplierIds: world.supplierIds,
  });
  return { campaign, actor };
}
