/**
 * The campaigns domain's background work, defined at start (src/background.ts): the reminder jobs, and what a
 * campaign does when one of its suppliers submits or is asked for changes (listeners on `deps.responseHooks`, run in
 * the submission's own transaction).
 */
import type { AppDeps } from '../deps';
import { supplierModel } from '../suppliers';
import { campaignModel } from './model';
import { submissionNotifications } from './notifications';
import { recordResponseReopened, recordSubmission } from './progress';
import { registerReminderJobs } from './reminders';

export function registerCampaignJobs(deps: AppDeps): void {
  registerReminderJobs(deps);
  deps.responseHooks.onResponseSubmitted(async (event, { session }) => {
    const key = { campaignId: event.campaignId, supplierId: event.supplierId };
    // The supplier counts as submitted, and reminders still waiting in the outbox are withdrawn.
    await recordSubmission(deps.connection, deps.outbox, key, event.submittedAt, { session });
    // One after another: operations of one transaction cannot run in parallel.
    const campaign = await campaignModel(deps.connection).findOne({ _id: event.campaignId, organisationId: event.organisationId }, { name: 1 }, { session }).lean();
    const supplier = await supplierModel(deps.connection).findOne({ _id: event.supplierId, organisationId: event.organisationId }, { name: 1 }, { session }).lean();
    const response = await deps.connection.collection('responses').findOne({ _id: event.responseId }, { projection: { declaration: 1 }, session });
    const definition = deps.questionnaires.get(event.questionnaireId, event.questionnaireVersion);
    const declaration = (response?.declaration as { name?: string; role?: string } | undefined) ?? {};
    const messages = await submissionNotifications(deps, {
      organisationId: event.organisationId,
      campaignId: event.campaignId,
      supplierId: event.supplierId,
      responseId: event.responseId,
      campaignName: campaign?.name ?? '',
      supplierName: supplier?.name ?? '',
      questionnaireTitle: definition?.title ?? { sv: event.questionnaireId, en: event.questionnaireId },
      submittedAt: event.submittedAt,
      declaredBy: { name: declaration.name ?? '', role: declaration.role ?? '' },
    });
    await deps.outbox.enqueueMany(messages, { session });
  });
  deps.responseHooks.onResponseReopened(async (event, { session }) => {
    await recordResponseReopened(deps.connection, { campaignId: event.campaignId, supplierId: event.supplierId }, event.reopenedAt, { session });
  });
}
