/**
 * Demo data for a first start: one buyer organisation with a buyer and an auditor, four suppliers (two Swedish, two
 * foreign) and an open code-of-conduct campaign. Runs once: skipped when the demo organisation exists.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { apiTokenModel, createApiToken, createOrganisation, createUser, findOrganisationByName, organisationModel, passwordHashingFor, userModel, type Role } from '../accounts';
import type { OrganisationDocument, UserDocument } from '../accounts/model';
import { campaignModel, createCampaign, invitationModel, participantModel, type CampaignDocument } from '../campaigns';
import { sendDemoCampaign } from './invitations';
import { createSupplier, supplierModel, type SupplierDocument, type SupplierInput } from '../suppliers';
import { activityModel, SYSTEM_ACTOR } from '../platform/activity';
import { outboxModel } from '../platform/mail/outbox';
import type { AppDeps } from '../deps';

export const DEMO_ORGANISATION_NAME = 'Region Demo';
export const DEMO_QUESTIONNAIRE = { id: 'code-of-conduct-saq', version: 1 } as const;
const DEMO_LINK_FILE = 'demo-supplier-link.txt';
const DEMO_TOKEN_FILE = 'demo-api-token.txt';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface DemoLogin {
  role: Role;
  email: string;
  /** Printed at start-up; demo data is only seeded outside production. */
  password: string;
}

export const DEMO_LOGINS: readonly DemoLogin[] = [
  { role: 'admin', email: 'admin@region-demo.example', password: 'demo-admin-2026' },
  { role: 'buyer', email: 'inkopare@region-demo.example', password: 'demo-inkopare-2026' },
  { role: 'auditor', email: 'revisor@region-demo.example', password: 'demo-revisor-2026' },
];

const DEMO_USER_NAMES: Record<string, string> = {
  admin: 'Maria Administratör',
  buyer: 'Anna Inköpare',
  auditor: 'Erik Revisor',
};

const DEMO_SUPPLIERS: ReadonlyArray<SupplierInput> = [
  {
    name: 'Nordisk Vårdtextil AB',
    country: 'SE',
    organisationNumber: '556677-8899',
    sector: 'Textiles',
    tags: ['healthcare-textiles', 'tier-1'],
    contacts: [{ name: 'Karin Lund', email: 'karin.lund@nordisk-vardtextil.example', language: 'sv' }],
  },
  {
    name: 'Göta Medicinteknik AB',
    country: 'SE',
    organisationNumber: '559012-3450',
    sector: 'Medical devices',
    tags: ['tier-1'],
    contacts: [{ name: 'Johan Berg', email: 'johan.berg@gota-medicinteknik.example', language: 'sv' }],
  },
  {
    name: 'Shenzhen Bright Gloves Co., Ltd.',
    country: 'CN',
    organisationNumber: '91440300MA5DEMO01X',
    sector: 'Protective equipment',
    tags: ['gloves', 'high-risk-country'],
    contacts: [{ name: 'Li Wei', email: 'li.wei@bright-gloves.example', language: 'en' }],
  },
  {
    name: 'Sialkot Surgical Instruments (Pvt) Ltd',
    country: 'PK',
    organisationNumber: '0712345-6',
    sector: 'Medical devices',
    tags: ['surgical-instruments', 'high-risk-country'],
    contacts: [{ name: 'Ahmed Khan', email: 'ahmed.khan@sialkot-surgical.example', language: 'en' }],
  },
];

/** What the seed created; the campaign is then sent through the campaigns' own sending (src/demo/invitations.ts). */
export interface DemoSeed {
  organisation: OrganisationDocument;
  campaign: CampaignDocument;
  suppliers: SupplierDocument[];
  buyer: UserDocument;
}

export interface SeedResult {
  /** false when the demo organisation already existed and nothing was written. */
  created: boolean;
  logins: readonly DemoLogin[];
  /** A working supplier link, when one is known (created now, or remembered from the first start). */
  supplierUrl: string | undefined;
  /** The demo organisation's API token, when known (created now, or remembered from the first start). */
  apiToken: string | undefined;
}

type SeedDeps = AppDeps;

/** Unique indexes must exist before the existence check and inserts, or two concurrent first starts could both seed. */
async function ensureIndexes(deps: SeedDeps): Promise<void> {
  await Promise.all([
    organisationModel(deps.connection).init(),
    userModel(deps.connection).init(),
    supplierModel(deps.connection).init(),
    campaignModel(deps.connection).init(),
  ]);
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

async function createDemoData(deps: SeedDeps): Promise<DemoSeed> {
  const organisation = await createOrganisation(deps.connection, {
    name: DEMO_ORGANISATION_NAME,
    contactName: 'Inköpsavdelningen, Region Demo',
    contactEmail: 'inkop@region-demo.example',
  });
  let buyer: UserDocument | undefined;
  for (const login of DEMO_LOGINS) {
    const user = await createUser(
      deps.connection,
      { email: login.email, name: DEMO_USER_NAMES[login.role] ?? login.email, password: login.password, roles: [login.role], organisationId: organisation._id, locale: 'sv' },
      { hashing: passwordHashingFor(deps.config) },
    );
    if (login.role === 'buyer') buyer = user;
  }
  if (!buyer) throw new Error('the demo needs a buyer');
  const suppliers: SupplierDocument[] = [];
  for (const supplier of DEMO_SUPPLIERS) suppliers.push(await createSupplier(deps, { ...supplier, organisationId: organisation._id }, SYSTEM_ACTOR));
  const campaign = await createCampaign(deps, {
    organisationId: organisation._id,
    actor: { kind: 'user', id: buyer.id, name: buyer.name },
    name: 'Uppförandekod för leverantörer 2026',
    questionnaireId: DEMO_QUESTIONNAIRE.id,
    questionnaireVersion: DEMO_QUESTIONNAIRE.version,
    dueDate: new Date(deps.clock.now().getTime() + 45 * DAY_MS),
    buyerContact: { name: 'Anna Inköpare', email: 'inkop@region-demo.example' },
    supplierIds: suppliers.map((supplier) => supplier._id),
  });
  return { organisation, campaign, suppliers, buyer };
}

/**
 * Only hashes of the supplier link's and the API token's secrets are stored in the database, so the ones printed on
 * the first start are kept in files in DATA_DIR to be printed again on later starts.
 */
function rememberDemoSecret(dataDir: string, file: string, value: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, file), `${value}\n`, { mode: 0o600 });
}

function recallDemoSecret(dataDir: string, file: string): string | undefined {
  try {
    const value = readFileSync(path.join(dataDir, file), 'utf8').trim();
    return value.length > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

function recalled(deps: SeedDeps): SeedResult {
  return {
    created: false,
    logins: DEMO_LOGINS,
    supplierUrl: recallDemoSecret(deps.config.dataDir, DEMO_LINK_FILE),
    apiToken: recallDemoSecret(deps.config.dataDir, DEMO_TOKEN_FILE),
  };
}

/** Undoes a half-finished seed so the next start seeds again instead of skipping. */
async function removePartialDemo(deps: SeedDeps): Promise<void> {
  const organisation = await findOrganisationByName(deps.connection, DEMO_ORGANISATION_NAME);
  if (!organisation) return;
  const organisationId = organisation._id;
  await Promise.all([
    userModel(deps.connection).deleteMany({ organisationId }),
    supplierModel(deps.connection).deleteMany({ organisationId }),
    campaignModel(deps.connection).deleteMany({ organisationId }),
    participantModel(deps.connection).deleteMany({ organisationId }),
    invitationModel(deps.connection).deleteMany({ organisationId }),
    outboxModel(deps.connection).deleteMany({ organisationId }),
    activityModel(deps.connection).deleteMany({ organisationId }),
    apiTokenModel(deps.connection).deleteMany({ organisationId }),
  ]);
  await organisationModel(deps.connection).deleteOne({ _id: organisationId });
}

export async function seedDemoData(deps: SeedDeps): Promise<SeedResult> {
  await ensureIndexes(deps);
  if (await findOrganisationByName(deps.connection, DEMO_ORGANISATION_NAME)) return recalled(deps);
  if (!deps.questionnaires.get(DEMO_QUESTIONNAIRE.id, DEMO_QUESTIONNAIRE.version)) {
    throw new Error(`The demo campaign needs questionnaire ${DEMO_QUESTIONNAIRE.id}@${DEMO_QUESTIONNAIRE.version}, which is not loaded`);
  }
  let demo: DemoSeed;
  let supplierUrl: string | undefined;
  try {
    demo = await createDemoData(deps);
    supplierUrl = await sendDemoCampaign(deps, demo);
  } catch (error) {
    // Another process seeded at the same moment: its data stands.
    if (isDuplicateKey(error)) return recalled(deps);
    await removePartialDemo(deps);
    throw error;
  }
  if (supplierUrl) rememberDemoSecret(deps.config.dataDir, DEMO_LINK_FILE, supplierUrl);
  const { token: apiToken } = await createApiToken(deps.connection, { organisationId: demo.organisation._id, name: 'Demo integration' }, deps.clock.now());
  rememberDemoSecret(deps.config.dataDir, DEMO_TOKEN_FILE, apiToken);
  deps.logger.info({ organisation: DEMO_ORGANISATION_NAME, suppliers: demo.suppliers.length }, 'demo data seeded');
  return { created: true, logins: DEMO_LOGINS, supplierUrl, apiToken };
}
