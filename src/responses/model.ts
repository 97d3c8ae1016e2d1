import mongoose, { Schema, type InferSchemaType, type HydratedDocument } from 'mongoose';

export const RESPONSE_STATUSES = ['draft', 'submitted'] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

/**
 * One stored answer. Answers live in a map keyed by question id so that each save is an atomic `$set` of one
 * field: two browser tabs saving different questions never overwrite each other.
 */
export interface StoredAnswer {
  value: unknown;
  updatedAt: Date;
}

const declarationSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, maxlength: 200 },
    role: { type: String, required: true, trim: true, maxlength: 200 },
  },
  { _id: false },
);

export const evidenceRefSchema = new Schema(
  {
    fileId: { type: Schema.Types.ObjectId, required: true },
    questionId: { type: String, required: true },
    filename: { type: String, required: true, maxlength: 255 },
    detectedType: { type: String, required: true },
    size: { type: Number, required: true, min: 0 },
    uploadedAt: { type: Date, required: true },
  },
  { _id: false },
);

/** The buyer's request for changes, shown to the supplier on the form until they submit again. */
const changeRequestSchema = new Schema(
  {
    message: { type: String, required: true, maxlength: 4000 },
    requestedAt: { type: Date, required: true },
    requestedBy: {
      kind: { type: String, required: true },
      id: { type: String },
      name: { type: String, maxlength: 320 },
    },
  },
  { _id: false },
);

/**
 * A supplier's answers in one campaign: one response per supplier and campaign, whichever of its links (one per
 * contact, or one issued again) opens it; `invitationId` is the link that opened it first.
 */
const responseSchema = new Schema(
  {
    invitationId: { type: Schema.Types.ObjectId, required: true },
    organisationId: { type: Schema.Types.ObjectId, required: true, index: true },
    campaignId: { type: Schema.Types.ObjectId, required: true, index: true },
    supplierId: { type: Schema.Types.ObjectId, required: true, index: true },
    questionnaireId: { type: String, required: true },
    questionnaireVersion: { type: Number, required: true },
    definitionHash: { type: String, required: true },
    status: { type: String, enum: RESPONSE_STATUSES, required: true, default: 'draft' },
    // Mixed rather than a mongoose Map: saves go straight to `answers.<questionId>` with `$set`/`$unset`.
    answers: { type: Schema.Types.Mixed, required: true, default: () => ({}) },
    lastSectionId: { type: String, default: null },
    /** The language the supplier last chose; null → the invitation's. */
    language: { type: String, enum: ['sv', 'en', null], default: null },
    declaration: { type: declarationSchema, required: false },
    submittedAt: { type: Date, default: null },
    evidence: { type: [evidenceRefSchema], default: [] },
    /** Submissions so far; each is kept as it was in `response_submissions` (submission-model.ts). */
    submissionCount: { type: Number, default: 0 },
    /** When the supplier last submitted; kept while the response is open again for changes. */
    lastSubmittedAt: { type: Date, default: null },
    /** Set while the response is open again because the buyer asked for changes. */
    changeRequest: { type: changeRequestSchema, default: null },
    /** Incremented by every write, so cached copies can tell which of two states is newer (response-cache.ts). */
    revision: { type: Number, required: true, default: 0 },
    /** Id of the last answer save, so a batch of saves can tell which of its writes applied (answer-writer.ts). */
    lastWriteId: { type: String, default: null },
    /** Sections answered of the sections the supplier sees, as of the last save (the campaign's progress list). */
    sectionProgress: { type: new Schema({ answered: { type: Number, required: true }, visible: { type: Number, required: true } }, { _id: false }), default: null },
  },
  { timestamps: true, collection: 'responses', minimize: false },
);
responseSchema.index({ campaignId: 1, supplierId: 1 }, { unique: true });
responseSchema.index({ invitationId: 1 });

export type ResponseRecord = InferSchemaType<typeof responseSchema>;
export type ResponseDocument = HydratedDocument<ResponseRecord>;
/** A stored evidence file as the response records it (the bytes are in GridFS bucket `evidence`). */
export interface EvidenceRef {
  fileId: mongoose.Types.ObjectId;
  questionId: string;
  filename: string;
  detectedType: string;
  size: number;
  uploadedAt: Date;
}

/** A response as read with `.lean()`: plain data, no mongoose document machinery (the supplier pages' hot path). */
export interface ResponseData {
  _id: mongoose.Types.ObjectId;
  invitationId: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  campaignId: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
  questionnaireId: string;
  questionnaireVersion: number;
  definitionHash: string;
  status: ResponseStatus;
  answers: unknown;
  lastSectionId?: string | null;
  language?: 'sv' | 'en' | null;
  declaration?: { name: string; role: string } | null;
  submittedAt?: Date | null;
  evidence: EvidenceRef[];
  submissionCount?: number;
  lastSubmittedAt?: Date | null;
  changeRequest?: ChangeRequest | null;
  revision?: number;
  lastWriteId?: string | null;
  sectionProgress?: SectionProgressSummary | null;
  createdAt?: Date;
  updatedAt?: Date;
}

export interface SectionProgressSummary {
  answered: number;
  visible: number;
}

export interface ChangeRequest {
  message: string;
  requestedAt: Date;
  requestedBy?: { kind: string; id?: string | null; name?: string | null } | null;
}

/** Update operators and their fields, e.g. `{ $set: { 'answers.q1': … } }`. */
export type ResponseUpdate = Record<`$${string}`, Record<string, unknown>>;

function registerResponseModel(conn: mongoose.Connection) {
  return conn.model('Response', responseSchema);
}
export type ResponseModel = ReturnType<typeof registerResponseModel>;

export function responseModel(conn: mongoose.Connection): ResponseModel {
  return (conn.models.Response as ResponseModel | undefined) ?? registerResponseModel(conn);
}
