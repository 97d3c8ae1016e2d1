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
    /**
     * Hashes of further links to the same invitation: a mail that sends the link again (a request for changes) carries
     * a link of its own (only hashes are stored, so it cannot repeat the first link). Revoking the invitation stops
     * all of them.
     */
    aliasHashes: { type: [String], default: undefined },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: true, collection: 'invitations' },
);
invitationSchema.index({ tokenHash: 1 }, { unique: true });
invitationSchema.index({ aliasHashes: 1 });

export type Invitation = InferSchemaType<typeof invitationSchema>;
export type InvitationDocument = HydratedDocument<Invitation>;

/** An invitation as read with `.lean()`. */
export interface InvitationData {
  _id: mongoose.Types.ObjectId;
  tokenHash: string;
  aliasHashes?: string[];
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
