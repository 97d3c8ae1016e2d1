/** Test fixtures for campaigns: an organisation with suppliers, a draft campaign, and the links in delivered mail. */
import path from 'node:path';
import type express from 'express';
import type mongoose from 'mongoose';
import request from 'supertest';
import { createCampaign, type CampaignDocument, type NewCampaign } from '../../src/campaigns';
import { SYSTEM_ACTOR, type Actor } from '../../src/platform/activity';
import { createSupplier, type SupplierDocument } from '../../src/suppliers';
import { loadQuestionnaires, type QuestionnaireRegistry } from '../../src/questionnaires';
import { createTestOrganisation, extractCsrfToken, type TestApp, type TestOrganisation } from '../helpers/app';
import { organisationNumberFor } from '../helpers/suppliers';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const SAQ = { id: 'code-of-conduct-saq', version: 1 } as const;

export interface SupplierSpec {
  name: string;
  country?: string;
  sector?: string;
  tags?: string[];
  contacts: Array<{ name: string; email: string; language: 'sv' | 'en' }>;
}

let counter = 0;

export async function addSupplier(t: TestApp, organisationId: string, spec: SupplierSpec): Promise<SupplierDocument> {
  counter += 1;
  return createSupplier(
    t.deps,
    {
      organisationId,
      name: spec.name,
      country: spec.country ?? 'SE',
      organisationNumber: organisationNumberFor(500_000 + counter),
      sector: spec.sector ?? '',
      tags: spec.tags ?? [],
      contacts: spec.contacts,
    },
    SYSTEM_ACTOR,
  );
}

export interface CampaignWorld {
  org: TestOrganisation;
  suppliers: SupplierDocument[];
  actor: Actor;
}

/** An organisation with two Swedish and one English-speaking supplier (the last with two contacts). */
export async function campaignWorld(t: TestApp, name: string): Promise<CampaignWorld> {
  const org = await createTestOrganisation(t.deps, name);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const suppliers = [
    await addSupplier(t, org.id, { name: `Nordisk Textil ${name}`, sector: 'Textiles', tags: ['tier-1'], contacts: [{ name: 'Karin Lund', email: `karin@textil-${slug}.example`, language: 'sv' }] }),
    await addSupplier(t, org.id, { name: `Göta Medicin ${name}`, sector: 'Medical devices', contacts: [{ name: 'Johan Berg', email: `johan@gota-${slug}.example`, language: 'sv' }] }),
    await addSupplier(t, org.id, {
      name: `Bright Gloves ${name}`,
      country: 'CN',
      sector: 'Protective equipment',
      tags: ['tier-1', 'high-risk'],
      contacts: [
        { name: 'Li Wei', email: `li@gloves-${slug}.example`, language: 'en' },
        { name: 'Zhang Min', email: `zhang@gloves-${slug}.example`, language: 'en' },
      ],
    }),
  ];
  return { org, suppliers, actor: { kind: 'user', id: org.buyer.id, name: `buyer of ${name}` } };
}

export async function draftCampaign(t: TestApp, world: CampaignWorld, overrides: Partial<NewCampaign> = {}): Promise<CampaignDocument> {
  return createCampaign(t.deps, {
    organisationId: world.org.id,
    actor: world.actor,
    name: 'Uppförandekod 2026',
    questionnaireId: SAQ.id,
    questionnaireVersion: SAQ.version,
    dueDate: new Date(t.clock.now().getTime() + 30 * DAY_MS),
    buyerContact: { name: 'Anna Inköpare', email: 'anna@region.example' },
    supplierIds: world.suppliers.map((s) => s._id),
    ...overrides,
  });
}

/** The supplier link (path) in a message's text. */
export function linkIn(text: string): string {
  const match = /https?:\/\/[^\s/]+(\/s\/[A-Za-z0-9_-]{22,})/.exec(text);
  if (!match?.[1]) throw new Error(`no supplier link in: ${text.slice(0, 300)}`);
  return match[1];
}

export function idOf(doc: { _id: mongoose.Types.ObjectId }): string {
  return doc._id.toHexString();
}

/** A short published questionnaire (two sections, documents beside two answers), for tests that submit. */
export const SHORT = { id: 'short-check', version: 1 } as const;

let shortRegistry: QuestionnaireRegistry | undefined;
export function shortQuestionnaires(): QuestionnaireRegistry {
  shortRegistry ??= loadQuestionnaires(path.join(__dirname, 'questionnaires'));
  return shortRegistry;
}

/** Answers the short questionnaire through its pages and submits it, as a supplier without JavaScript would. */
export async function submitShortCheck(app: express.Express, linkPath: string, declaredBy = { name: 'Karin Lund', role: 'CSR manager' }): Promise<request.Response> {
  const agent = request.agent(app);
  const page = await agent.get(`${linkPath}/section/profile`).expect(200);
  const csrf = extractCsrfToken(page.text);
  const post = (section: string, answers: Record<string, string>) =>
    agent
      .post(`${linkPath}/section/${section}`)
      .type('form')
      .send({ _csrf: csrf, action: 'save', ...Object.fromEntries(Object.entries(answers).map(([id, value]) => [`answers[${id}]`, value])) })
      .expect(303);
  await post('profile', { company_name: 'Leverantören AB', has_policy: 'no', risk_analysis: 'no' });
  await post('labour', { employs_migrants: 'no', notes: '' });
  return agent
    .post(`${linkPath}/submit`)
    .type('form')
    .send({ _csrf: csrf, declarationName: declaredBy.name, declarationRole: declaredBy.role, declarationConfirm: 'yes' })
    .expect(303);
}
