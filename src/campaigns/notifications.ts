/**
 * Telling the buyers when a supplier submits: one email to each active buyer of the organisation who wants them
 * (`notifications.submissions`, on by default), in their own language, with a link to the response.
 */
import type { i18n as I18n } from 'i18next';
import mongoose from 'mongoose';
import { userModel } from '../accounts';
import { formatDateTime } from '../platform/i18n';
import type { NewMessage } from '../platform/mail/outbox';
import { renderMail } from '../platform/mail/render';

export interface SubmissionNotice {
  organisationId: mongoose.Types.ObjectId;
  campaignId: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
  responseId: mongoose.Types.ObjectId;
  campaignName: string;
  supplierName: string;
  questionnaireTitle: { sv: string; en: string };
  submittedAt: Date;
  declaredBy: { name: string; role: string };
}

export async function submissionNotifications(
  deps: { connection: mongoose.Connection; i18n: I18n; config: { baseUrl: string } },
  notice: SubmissionNotice,
): Promise<NewMessage[]> {
  const buyers = await userModel(deps.connection)
    .find({ organisationId: notice.organisationId, roles: 'buyer', active: true, 'notifications.submissions': { $ne: false } }, { email: 1, name: 1, locale: 1 })
    .lean<Array<{ _id: mongoose.Types.ObjectId; email: string; name: string; locale?: string }>>();
  const url = `${deps.config.baseUrl.replace(/\/+$/, '')}/responses/${notice.responseId.toHexString()}`;
  return Promise.all(
    buyers.map(async (buyer) => {
      const lang = buyer.locale === 'en' ? 'en' : 'sv';
      const t = deps.i18n.getFixedT(lang);
      const params = { supplier: notice.supplierName, campaign: notice.campaignName };
      const subject = t('campaigns:mail.submitted.subject', params).replace(/[\r\n]+/g, ' ');
      const rendered = await renderMail('campaigns/submitted', {
        lang,
        t,
        subject,
        params,
        url,
        buyerName: buyer.name,
        questionnaireTitle: notice.questionnaireTitle[lang],
        submittedAt: formatDateTime(lang, notice.submittedAt),
        declaredBy: notice.declaredBy,
      });
      return {
        organisationId: notice.organisationId,
        to: buyer.email,
        subject,
        ...rendered,
        category: 'submission',
        refs: [`response:${notice.responseId.toHexString()}`, `supplier:${notice.supplierId.toHexString()}`, `campaign:${notice.campaignId.toHexString()}`],
        dedupeKey: `submitted:${notice.responseId.toHexString()}:${notice.submittedAt.toISOString()}:${buyer._id.toHexString()}`,
      };
    }),
  );
}
