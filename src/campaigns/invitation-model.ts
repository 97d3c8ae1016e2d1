import mongoose, { Schema, type InferSchemaType, type HydratedDocument } from 'mongoose';

export const INVITATION_LANGUAGES = ['sv', 'en'] as const;
export type InvitationLanguage = (typeof INVITATION_LANGUAGES)[number];

const buyerContactSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, maxlength: 200 },
    email: { type: String, required: true, trim: true, lowercase: true, maxlength: 320 },
  },
  { _id: false },
);

/**
 * A supplier's access to one questionnaire in one campaign. Only the SHA-256 hash of the link's token is stored,
 * so a leaked database does not leak working links.
 */
const invitationSchema = new Schema(
  {
    tokenHash: { type: String, required: true },
    organisationId: { type: Schema.Types.ObjectId, required: true, index: true },
    campaignId: { type: Schema.Types.ObjectId, required: true, index: true },
    supplierId: { type: Schema.Types.ObjectId, required: true, index: true },
    questionnaireId: { type: String, required: true },
    questionnaireVersion: { type: Number, required: true },
    language: { type: String, enum: INVITATION_LANGUAGES, required: true },
    buyerContact: { type: buyerContactSchema, required: false },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: true, collection: 'invitations' },
);
invitationSchema.index({ tokenHash: 1 }, { unique: true });

export type Invitation = InferSchemaType<typeof invitationSchema>;
export type InvitationDocument = HydratedDocument<Invitation>;

/** An invitation as read with `.lean()`. */
export interface InvitationData {
  _id: mongoose.Types.ObjectId;
  tokenHash: string;
  organisationId: mongoose.Types.ObjectId;
  campaignId: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
  questionnaireId: string;
  questionnaireVersion: number;
  language: InvitationLanguage;
  buyerContact?: { name: string; email: string } | null;
  expiresAt: Date;
  revokedAt?: Date | null;
}

function registerInvitationModel(conn: mongoose.Connection) {
  return conn.model('Invitation', invitationSchema);
}
export type InvitationModel = ReturnType<typeof registerInvitationModel>;

export function invitationModel(conn: mongoose.Connection): InvitationModel {
  return (conn.models.Invitation as InvitationModel | undefined) ?? registerInvitationModel(conn);
}
