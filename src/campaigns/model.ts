import mongoose, { Schema, type HydratedDocument, type InferSchemaType } from 'mongoose';

export const CAMPAIGN_STATUSES = ['draft', 'open', 'closed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** The email a supplier's contact receives, per language: a subject and a plain-text message with placeholders. */
const messageTextSchema = new Schema(
  {
    subject: { type: String, required: true, trim: true, maxlength: 200 },
    body: { type: String, required: true, trim: true, maxlength: 5000 },
  },
  { _id: false },
);

const buyerContactSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, maxlength: 200 },
    email: { type: String, required: true, trim: true, lowercase: true, maxlength: 320 },
  },
  { _id: false },
);

/**
 * Automatic reminders to contacts who have not submitted: on the given days before and after the due date, at most
 * `maxCount` per contact, never two to one contact closer than `minGapDays` (manual reminders included).
 */
const reminderPolicySchema = new Schema(
  {
    enabled: { type: Boolean, required: true, default: true },
    beforeDays: { type: [Number], default: [7, 1] },
    afterDays: { type: [Number], default: [3, 10] },
    maxCount: { type: Number, required: true, default: 3, min: 0, max: 10 },
    minGapDays: { type: Number, required: true, default: 2, min: 1, max: 30 },
  },
  { _id: false },
);

const actorSchema = new Schema({ id: { type: String }, name: { type: String, maxlength: 320 } }, { _id: false });

/** A round of one questionnaire (exact id@version) sent to a set of the organisation's suppliers. */
const campaignSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    questionnaireId: { type: String, required: true },
    questionnaireVersion: { type: Number, required: true, min: 1 },
    /** The due date suppliers are given (shown to them; reminders are timed from it). */
    deadline: { type: Date, required: true },
    status: { type: String, enum: CAMPAIGN_STATUSES, required: true, default: 'draft' },
    /** Every supplier in the campaign; their progress is kept per supplier in `campaign_suppliers`. */
    supplierIds: { type: [Schema.Types.ObjectId], default: [] },
    /** Why the organisation asks, in the supplier's language (the invitation's message). */
    messages: {
      sv: { type: messageTextSchema, required: false },
      en: { type: messageTextSchema, required: false },
    },
    /** Whom suppliers ask when they have questions. */
    buyerContact: { type: buyerContactSchema, required: false },
    reminderPolicy: { type: reminderPolicySchema, default: () => ({}) },
    createdBy: { type: actorSchema, required: false },
    sentAt: { type: Date, default: null },
    closedAt: { type: Date, default: null },
    /** Incremented each time the due date moves, so reminder jobs timed from an earlier due date know they are stale. */
    dueRound: { type: Number, required: true, default: 0 },
    /** Incremented by every edit, so two buyers editing one draft cannot silently overwrite each other. */
    revision: { type: Number, required: true, default: 0 },
    /** Held while one request sends the campaign, so a double click or a second instance does not send in parallel. */
    sendingUntil: { type: Date, default: null },
  },
  { timestamps: true, collection: 'campaigns' },
);
campaignSchema.index({ organisationId: 1, status: 1, deadline: 1 });

export type Campaign = InferSchemaType<typeof campaignSchema>;
export type CampaignDocument = HydratedDocument<Campaign>;

function registerCampaignModel(conn: mongoose.Connection) {
  return conn.model('Campaign', campaignSchema);
}
export type CampaignModel = ReturnType<typeof registerCampaignModel>;

export function campaignModel(conn: mongoose.Connection): CampaignModel {
  return (conn.models.Campaign as CampaignModel | undefined) ?? registerCampaignModel(conn);
}
