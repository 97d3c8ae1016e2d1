/** The campaigns domain's public face: campaigns, invitations (supplier links), reminders and progress. */
export { CAMPAIGN_STATUSES, campaignModel, type Campaign, type CampaignDocument, type CampaignStatus } from './model';
export { PARTICIPANT_STATES, participantModel, type ParticipantState } from './participant-model';
export {
  addSuppliers,
  createCampaign,
  defaultMessages,
  getCampaign,
  listCampaigns,
  publishedQuestionnaires,
  removeSuppliers,
  requireCampaign,
  updateCampaign,
  type CampaignDeps,
  type NewCampaign,
} from './service';
export { reissueInvitation, sendCampaign, type SendDeps, type SendResult, type SentLink } from './sending';
export { closeCampaign, extendDueDate } from './lifecycle';
export { plannedReminders, REMINDER_JOB, remindNonSubmitted } from './reminders';
export {
  campaignCounts,
  campaignSummaries,
  invitationStatuses,
  progressPage,
  recordLinkOpened,
  recordResponseActivity,
  recordResponseReopened,
  recordResponseStarted,
  recordSubmission,
  type CampaignSummary,
  type ParticipantKey,
  type ProgressCounts,
} from './progress';
export { submissionNotifications } from './notifications';
export { campaignsRouter, homeRouter } from './routes';
export { registerCampaignsApi } from './api';
export { registerCampaignJobs } from './jobs';
export { INVITATION_LANGUAGES, invitationModel, type Invitation, type InvitationContact, type InvitationData, type InvitationDocument, type InvitationLanguage } from './invitation-model';
export {
  createInvitation,
  DEFAULT_INVITATION_DAYS,
  hashToken,
  LINK_GRACE_DAYS,
  issueAdditionalLink,
  resolveInvitation,
  revokeInvitation,
  supplierUrl,
  type BuyerContact,
  type CreateInvitationInput,
  type InvitationResolution,
} from './invitation-service';
