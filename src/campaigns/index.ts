export { CAMPAIGN_STATUSES, campaignModel, type Campaign, type CampaignDocument, type CampaignStatus } from './model';
export {
  CampaignError,
  campaignOverviews,
  createCampaign,
  createCampaignInput,
  getCampaign,
  listCampaigns,
  setCampaignStatus,
  SUPPLIER_STATUSES,
  type CampaignOverview,
  type CreateCampaignInput,
  type SupplierProgress,
  type SupplierStatus,
} from './service';
export { homeRouter } from './routes';
// Invitations (supplier-form engineer): export lines below.
export { INVITATION_LANGUAGES, invitationModel, type Invitation, type InvitationDocument, type InvitationLanguage } from './invitation-model';
export {
  createInvitation,
  DEFAULT_INVITATION_DAYS,
  hashToken,
  issueAdditionalLink,
  resolveInvitation,
  revokeInvitation,
  supplierUrl,
  type BuyerContact,
  type CreateInvitationInput,
  type InvitationResolution,
} from './invitation-service';
