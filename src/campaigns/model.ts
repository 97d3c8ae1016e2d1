import mongoose, { Schema, type HydratedDocument, type InferSchemaType } from 'mongoose';

export const CAMPAIGN_STATUSES = ['draft', 'open', 'closed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** A round of one questionnaire (exact id@version) sent to a set of the organisation's suppliers. */
const campaignSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    questionnaireId: { type: String, required: true },
    questionnaireVersion: { type: Number, required: true, min: 1 },
    deadline: { type: Date, required: true },
    status: { type: String, enum: CAMPAIGN_STATUSES, required: true, default: 'draft' },
    supplierIds: { type: [Schema.Types.ObjectId], default: [] },
  },
  { timestamps: true, collection: 'campaigns' },
);

export type Campaign = InferSchemaType<typeof campaignSchema>;
export type CampaignDocument = HydratedDocument<Campaign>;

function registerCampaignModel(conn: mongoose.Connection) {
  return conn.model('Campaign', campaignSchema);
}
export type CampaignModel = ReturnType<typeof registerCampaignModel>;

export function campaignModel(conn: mongoose.Connection): CampaignModel {
  return (conn.models.Campaign as CampaignModel | undefined) ?? registerCampaignModel(conn);
}
