/**
 * The mail a campaign sends to suppliers' contacts: the invitation (the buyer's own message, in the contact's
 * language, with placeholders filled in), reminders, a new due date and a link issued again. Every message carries the
 * link, the due date and who asks; values from users (names, the message) are escaped in the HTML part by the
 * templates (`<%= %>`), and the subject is one line.
 */
import type { i18n as I18n } from 'i18next';
import { formatDate, memoizedTranslate } from '../platform/i18n';
import { renderMail } from '../platform/mail/render';
import type { NewMessage } from '../platform/mail/outbox';
import type { QuestionnaireRegistry } from '../questionnaires';
import { fillPlaceholders, type MessageLanguage, type Placeholder } from './inputs';
import type { InvitationContact } from './invitation-model';
import type { CampaignDocument } from './model';
import { defaultMessages } from './service';

export const NOTICE_KINDS = ['reminder', 'overdueReminder', 'dueDateExtended', 'linkReissued'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface MailContext {
  campaign: CampaignDocument;
  organisationName: string;
  questionnaires: QuestionnaireRegistry;
  i18n: I18n;
}

export interface Recipient {
  supplierName: string;
  contact: InvitationContact;
  url: string;
}

function placeholderValues(ctx: MailContext, recipient: Recipient, lang: MessageLanguage): Record<Placeholder, string> {
  const contact = ctx.campaign.buyerContact;
  return {
    supplier: recipient.supplierName,
    contact: recipient.contact.name,
    dueDate: formatDate(lang, ctx.campaign.deadline, 'long'),
    organisation: ctx.organisationName,
    buyerContact: contact?.name ?? ctx.organisationName,
    buyerEmail: contact?.email ?? '',
    campaign: ctx.campaign.name,
  };
}

/** Paragraphs (split at blank lines) of lines, so the HTML part can keep the writer's line breaks without raw HTML. */
function paragraphsOf(text: string): string[][] {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => paragraph.split(/\r?\n/).map((line) => line.trimEnd()))
    .filter((lines) => lines.some((line) => line.trim() !== ''));
}

function commonLocals(ctx: MailContext, recipient: Recipient, lang: MessageLanguage) {
  const definition = ctx.questionnaires.get(ctx.campaign.questionnaireId, ctx.campaign.questionnaireVersion);
  return {
    lang,
    // One translate function per language, its texts kept: a campaign renders the same texts for every contact.
    t: memoizedTranslate(ctx.i18n, lang),
    url: recipient.url,
    dueDate: formatDate(lang, ctx.campaign.deadline, 'long'),
    organisation: ctx.organisationName,
    buyerContact: ctx.campaign.buyerContact ?? undefined,
    questionnaireTitle: definition?.title[lang] ?? ctx.campaign.questionnaireId,
    supplierName: recipient.supplierName,
    contactName: recipient.contact.name,
  };
}

/** The invitation: the buyer's message for the contact's language (the default one if the campaign has none). */
export async function invitationMail(ctx: MailContext, recipient: Recipient): Promise<{ subject: string; html: string; text: string }> {
  const lang = recipient.contact.language;
  const message = ctx.campaign.messages?.[lang] ?? defaultMessages(ctx.i18n)[lang];
  const values = placeholderValues(ctx, recipient, lang);
  const subject = fillPlaceholders(message.subject, values).replace(/[\r\n]+/g, ' ').trim();
  const rendered = await renderMail('campaigns/invitation', { ...commonLocals(ctx, recipient, lang), subject, paragraphs: paragraphsOf(fillPlaceholders(message.body, values)) });
  return { subject, ...rendered };
}

/** A reminder, a new due date or a new link, in the contact's language. */
export async function noticeMail(ctx: MailContext, recipient: Recipient, kind: NoticeKind): Promise<{ subject: string; html: string; text: string }> {
  const lang = recipient.contact.language;
  const locals = commonLocals(ctx, recipient, lang);
  const params = { campaign: ctx.campaign.name, organisation: ctx.organisationName, dueDate: locals.dueDate, supplier: recipient.supplierName, contact: recipient.contact.name };
  const subject = locals.t(`campaigns:mail.${kind}.subject`, params).replace(/[\r\n]+/g, ' ').trim();
  const rendered = await renderMail('campaigns/notice', { ...locals, subject, kind, params });
  return { subject, ...rendered };
}

export interface OutgoingRefs {
  organisationId: string;
  campaignId: string;
  supplierId: string;
  invitationId: string;
}

/** The outbox message for one contact; a `dedupeKey` makes queueing it again (a retried job) a no-op. */
export function outgoing(
  mail: { subject: string; html: string; text: string },
  to: string,
  category: string,
  refs: OutgoingRefs,
  dedupeKey?: string,
): NewMessage {
  return {
    organisationId: refs.organisationId,
    to,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    category,
    refs: [`invitation:${refs.invitationId}`, `supplier:${refs.supplierId}`, `campaign:${refs.campaignId}`],
    ...(dedupeKey ? { dedupeKey } : {}),
  };
}
