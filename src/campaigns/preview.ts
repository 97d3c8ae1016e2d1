/**
 * The invitation as a contact will read it, before anything is sent: rendered for the campaign's first supplier (or
 * made-up names when it has none yet) with a link that leads nowhere.
 */
import mongoose from 'mongoose';
import { supplierModel } from '../suppliers';
import type { InvitationLanguage } from './invitation-model';
import { invitationMail } from './mail';
import type { CampaignDocument } from './model';
import { participantModel } from './participant-model';
import { mailContextOf, type SendDeps } from './sending';

export interface MailPreview {
  subject: string;
  html: string;
  text: string;
  /** The supplier the preview was made for; undefined when it uses example names. */
  supplierName: string | undefined;
}

export async function previewMail(deps: SendDeps, campaign: CampaignDocument, lang: InvitationLanguage): Promise<MailPreview> {
  const t = deps.i18n.getFixedT(lang);
  const first = await participantModel(deps.connection).findOne({ campaignId: campaign._id }, { supplierId: 1 }).sort({ sortName: 1 }).lean();
  const supplier = first
    ? await supplierModel(deps.connection)
        .findOne({ _id: first.supplierId, organisationId: campaign.organisationId }, { name: 1, contacts: 1 })
        .lean<{ _id: mongoose.Types.ObjectId; name: string; contacts: Array<{ name: string; email: string; language?: string }> }>()
    : null;
  const contact = supplier?.contacts.find((c) => c.language === lang) ?? supplier?.contacts[0];
  const mail = await mailContextOf(deps, campaign);
  const rendered = await invitationMail(mail, {
    supplierName: supplier?.name ?? t('campaigns:preview.sampleSupplier'),
    contact: { name: contact?.name ?? t('campaigns:preview.sampleContact'), email: contact?.email ?? 'contact@example.com', language: lang },
    url: `${deps.config.baseUrl.replace(/\/+$/, '')}/s/${t('campaigns:preview.sampleToken')}`,
  });
  return { ...rendered, supplierName: supplier?.name };
}
