/** Test fixtures for the supplier form: an organisation, a supplier, an open campaign and an invitation link. */
import request from 'supertest';
import type express from 'express';
import { campaignModel, createCampaign } from '../../src/campaigns';
import { createInvitation } from '../../src/campaigns/invitation-service';
import { visibleQuestions, type Answers, type Question, type Section } from '../../src/questionnaires';
import { getSupplier } from '../../src/suppliers';
import { createTestOrganisation, extractCsrfToken, type TestApp, type TestOrganisation } from '../helpers/app';
import { createTestSupplier } from '../helpers/suppliers';

export const SAQ = { id: 'code-of-conduct-saq', version: 1 } as const;
export const BUYER_CONTACT = { name: 'Anna Inköpare', email: 'anna@region-test.example' };

export interface SupplierLink {
  token: string;
  path: string;
  url: string;
  invitationId: string;
  organisationId: string;
  organisation: TestOrganisation;
  supplierId: string;
  campaignId: string;
  supplierEmail: string;
}

let counter = 0;

export interface SupplierLinkOptions {
  language?: 'sv' | 'en';
  expiresInDays?: number;
  withContact?: boolean;
  /** Reuse an organisation (default: a new one with an admin, a buyer and an auditor). */
  organisation?: TestOrganisation;
  /** Reuse a supplier of that organisation (a second campaign to the same supplier). */
  supplierId?: string;
  supplierName?: string;
  campaignName?: string;
  questionnaire?: { id: string; version: number };
}

export async function createSupplierLink(testApp: TestApp, options: SupplierLinkOptions = {}): Promise<SupplierLink> {
  counter += 1;
  const { deps } = testApp;
  const organisation = options.organisation ?? (await createTestOrganisation(deps, `Region ${counter} ${Date.now().toString(36)}`));
  const reused = options.supplierId ? await getSupplier(deps.connection, organisation.id, options.supplierId) : undefined;
  const supplierEmail = reused?.contacts[0]?.email ?? `contact${counter}@supplier.example`;
  const supplierId =
    options.supplierId ??
    (
      await createTestSupplier(deps, organisation.id, {
        name: options.supplierName ?? `Supplier ${counter} AB`,
        contacts: [{ name: 'Karin Lund', email: supplierEmail, language: options.language ?? 'en' }],
      })
    )._id.toHexString();
  const questionnaire = options.questionnaire ?? SAQ;
  const campaign = await createCampaign(deps, {
    organisationId: organisation.id,
    actor: { kind: 'user', id: organisation.buyer.id, name: 'buyer' },
    name: options.campaignName ?? 'Code of conduct 2026',
    questionnaireId: questionnaire.id,
    questionnaireVersion: questionnaire.version,
    dueDate: new Date(deps.clock.now().getTime() + 30 * 86_400_000),
    buyerContact: options.withContact === false ? undefined : BUYER_CONTACT,
    supplierIds: [supplierId],
  });
  // A link made directly rather than sent (the sending and its mail are tested in test/campaigns/).
  await campaignModel(deps.connection).updateOne({ _id: campaign._id }, { $set: { status: 'open' } });
  const { token, url, invitation } = await createInvitation(deps, {
    organisationId: organisation.id,
    campaignId: campaign._id,
    supplierId,
    questionnaireId: questionnaire.id,
    questionnaireVersion: questionnaire.version,
    language: options.language ?? 'en',
    buyerContact: options.withContact === false ? undefined : BUYER_CONTACT,
    contact: { name: 'Karin Lund', email: supplierEmail, language: options.language ?? 'en' },
    expiresInDays: options.expiresInDays,
  });
  return {
    token,
    path: `/s/${token}`,
    url,
    invitationId: invitation._id.toHexString(),
    organisationId: organisation.id,
    organisation,
    supplierId,
    campaignId: campaign._id.toHexString(),
    supplierEmail,
  };
}

/** Where the welcome page's "Start" button leads, when the page is the welcome page. */
export function startHref(html: string): string | undefined {
  return /<p class="welcome__start"><a class="button" href="([^"]+)"/.exec(html)?.[1];
}

/**
 * Opens a page of the link with a cookie-keeping agent, as a supplier would (from the welcome page, its Start
 * button); returns the agent and the page's CSRF token.
 */
export async function openSection(app: express.Express, pagePath: string): Promise<{ agent: request.Agent; csrf: string; html: string }> {
  const agent = request.agent(app);
  let page = await agent.get(pagePath).redirects(2).expect(200);
  const start = startHref(page.text);
  if (start) page = await agent.get(start).expect(200);
  return { agent, csrf: extractCsrfToken(page.text), html: page.text };
}

/** A form body in the shape the section form posts: `answers[<id>]` fields, repeated for multiple choice. */
export function sectionForm(csrf: string, answers: Record<string, string | string[]>, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  params.append('_csrf', csrf);
  for (const [key, value] of Object.entries(extra)) params.append(key, value);
  for (const [id, value] of Object.entries(answers)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(`answers[${id}]`, item);
  }
  return params.toString();
}

/** A plausible, valid form value for a question, as a supplier would type it (numbers in the given language). */
export function validInput(question: Question): string | string[] {
  const override = TYPICAL_VALUES[question.id];
  if (override !== undefined) return override;
  switch (question.type) {
    case 'yes_no':
      return 'no';
    case 'single_choice':
      return question.options[0]?.id ?? '';
    case 'multiple_choice':
      return [question.options.find((o) => !o.exclusive)?.id ?? question.options[0]?.id ?? ''];
    case 'number':
    case 'integer':
    case 'percentage':
      return String(Math.max(question.min ?? 0, Math.min(question.max ?? 100, 10)));
    case 'date':
      return '2025-11-03';
    case 'short_text':
      return 'Karin Lund';
    case 'long_text':
      return 'One factory in Borås, Sweden.';
    case 'country':
      return 'SE';
    case 'evidence':
      return '';
  }
}

const TYPICAL_VALUES: Record<string, string> = {
  workers_total: '120',
  minimum_hiring_age: '18',
  normal_weekly_hours: '40',
  max_weekly_hours: '48',
};

/** Form inputs answering every visible, non-evidence question of a section, given the answers so far. */
export function sectionInputs(section: Section, answers: Answers): Record<string, string | string[]> {
  const inputs: Record<string, string | string[]> = {};
  for (const question of visibleQuestions(section, answers)) {
    if (question.type !== 'evidence') inputs[question.id] = validInput(question);
  }
  return inputs;
}
