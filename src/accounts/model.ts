import mongoose, { Schema, type HydratedDocument, type InferSchemaType } from 'mongoose';

export const ROLES = ['buyer', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const USER_LOCALES = ['sv', 'en'] as const;

/** A buyer organisation (a region, a municipality, a company): owns suppliers, campaigns and users. */
const organisationSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, maxlength: 200 },
    contactName: { type: String, trim: true, maxlength: 200 },
    contactEmail: { type: String, trim: true, lowercase: true, maxlength: 320 },
    /**
     * Bumped by every change that could leave the organisation without an active admin, inside the transaction that
     * counted the other admins: two such changes at once then conflict, and the retried one counts again.
     */
    adminsVersion: { type: Number, default: 0 },
  },
  { timestamps: true, collection: 'organisations' },
);
organisationSchema.index({ name: 1 }, { unique: true });

const userSchema = new Schema(
  {
    email: { type: String, required: true, trim: true, lowercase: true, maxlength: 320 },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    passwordHash: { type: String, required: true },
    /** A user may hold several roles (an admin who also buys, say). */
    roles: {
      type: [{ type: String, enum: ROLES }],
      required: true,
      validate: { validator: (roles: unknown[]) => roles.length > 0, message: 'a user needs at least one role' },
    },
    /** Deactivated users cannot log in and their sessions end at once (passport reads the user on every request). */
    active: { type: Boolean, required: true, default: true },
    deactivatedAt: { type: Date, default: null },
    organisationId: { type: Schema.Types.ObjectId, required: true, index: true },
    locale: { type: String, enum: USER_LOCALES, default: 'sv' },
    /** What the user is told about by email (critical-case alerts always reach buyers and auditors). */
    notifications: {
      /** A supplier submitted a response in one of the organisation's campaigns. */
      submissions: { type: Boolean, default: true },
    },
    lastLoginAt: { type: Date },
    /**
     * The one live password-reset link (its SHA-256 hash): a newer request replaces it, using it or changing the
     * password removes it. `requestId` makes the job that sends the link idempotent.
     */
    passwordReset: {
      type: new Schema({ tokenHash: { type: String, required: true }, requestId: { type: String, required: true }, expiresAt: { type: Date, required: true } }, { _id: false }),
      default: null,
    },
  },
  { timestamps: true, collection: 'users' },
);
userSchema.index({ email: 1 }, { unique: true });
userSchema.index({ 'passwordReset.tokenHash': 1 }, { sparse: true });
userSchema.index({ organisationId: 1, name: 1 });

export type Organisation = InferSchemaType<typeof organisationSchema>;
export type OrganisationDocument = HydratedDocument<Organisation>;
export type User = InferSchemaType<typeof userSchema>;
export type UserDocument = HydratedDocument<User>;

function registerOrganisationModel(conn: mongoose.Connection) {
  return conn.model('Organisation', organisationSchema);
}
function registerUserModel(conn: mongoose.Connection) {
  return conn.model('User', userSchema);
}
export type OrganisationModel = ReturnType<typeof registerOrganisationModel>;
export type UserModel = ReturnType<typeof registerUserModel>;

export function organisationModel(conn: mongoose.Connection): OrganisationModel {
  return (conn.models.Organisation as OrganisationModel | undefined) ?? registerOrganisationModel(conn);
}

export function userModel(conn: mongoose.Connection): UserModel {
  return (conn.models.User as UserModel | undefined) ?? registerUserModel(conn);
}
