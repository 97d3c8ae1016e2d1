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

const contactSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, maxlength: 200 },
    email: { type: String, required: true, trim: true, lowercase: true, maxlength: 320 },
    language: { type: String, enum: INVITATION_LANGUAGES, required: true },
  },
  { _id: false },
);

const reminderSchema = new Schema(
  {
    /** The reminder round (`auto:<round>:before:7`, `manual:<time>`): a contact gets each round at most once. */
    key: { type: String, required: true, maxlength: 100 },
    at: { type: Date, required: true },
    automatic: { type: Boolean, required: true },
  },
  { _id: false },
);

/**
 * A supplier's access to one questionnaire in one campaign, sent to one of its contacts. Only the SHA-256 hash of the
 * link's token is stored, so a leaked database does not leak working links. All invitations of one supplier in one
 * campaign (several contacts, a link issued again) lead to the same response.
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
     * Hashes of further links to the same invitation: each reminder, notice or request for changes carries a link of
     * its own (only hashes are stored, so a mail cannot repeat the first link). Revoking the invitation stops all of
     * them.
     */
    aliasHashes: { type: [String], default: undefined },
    /** The person the link was sent to; absent on links made before campaigns sent mail. */
    contact: { type: contactSchema, required: false },
    /**
     * When the link stops working. Null on links a campaign sent: those follow their campaign (its due date plus a
     * grace period, and closing the campaign), so extending or closing a campaign changes one document, not 10,000.
     */
    expiresAt: { type: Date, default: null },
    /**
     * The link works until then whatever its campaign's state or due date: set by a request for changes, so the
     * supplier can answer it after the campaign closed or its links lapsed.
     */
    keepOpenUntil: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    firstOpenedAt: { type: Date, default: null },
    sentAt: { type: Date, default: null },
    reminders: { type: [reminderSchema], default: [] },
    lastRemindedAt: { type: Date, default: null },
    /** The invitation this one was issued in place of, and the one that replaced this one. */
    replaces: { type: Schema.Types.ObjectId, default: null },
    replacedBy: { type: Schema.Types.ObjectId, default: null },
    /**
     * `<campaign>:<supplier>:<email>` while the invitation is live, removed when it is revoked: unique, so sending a
     * campaign twice (a retried request, two instances) never gives one contact two live links.
     */
    activeKey: { type: String },
  },
  { timestamps: true, collection: 'invitations' },
);
invitationSchema.index({ tokenHash: 1 }, { unique: true });
invitationSchema.index({ aliasHashes: 1 });
invitationSchema.index({ activeKey: 1 }, { unique: true, sparse: true });
invitationSchema.index({ campaignId: 1, supplierId: 1 });
// Reminders and notices walk a campaign's invitations in _id order.
invitationSchema.index({ campaignId: 1, _id: 1 });

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
  contact?: InvitationContact | null;
  expiresAt: Date | null;
  keepOpenUntil?: Date | null;
  revokedAt?: Date | null;
  firstOpenedAt?: Date | null;
  sentAt?: Date | null;
  reminders?: Array<{ key: string; at: Date; automatic: boolean }>;
  lastRemindedAt?: Date | null;
  replaces?: mongoose.Types.ObjectId | null;
  replacedBy?: mongoose.Types.ObjectId | null;
  activeKey?: string;
}

export interface InvitationContact {
  name: string;
  email: string;
  language: InvitationLanguage;
}

function registerInvitationModel(conn: mongoose.Connection) {
  return conn.model('Invitation', invitationSchema);
}
export type InvitationModel = ReturnType<typeof registerInvitationModel>;

export function invitationModel(conn: mongoose.Connection): InvitationModel {
  return (conn.models.Invitation as InvitationModel | undefined) ?? registerInvitationModel(conn);
}
