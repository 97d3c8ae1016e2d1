import mongoose, { Schema } from 'mongoose';
import { evidenceRefSchema, type EvidenceRef, type StoredAnswer } from './model';

/**
 * One submission of a response, exactly as the supplier submitted it: a response reopened for changes and submitted
 * again keeps every earlier submission here, so the record shows what was first submitted and what changed. Written
 * once, in the submission's transaction, and never changed.
 */
const submissionSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true },
    responseId: { type: Schema.Types.ObjectId, required: true },
    campaignId: { type: Schema.Types.ObjectId, required: true },
    supplierId: { type: Schema.Types.ObjectId, required: true },
    invitationId: { type: Schema.Types.ObjectId, required: true },
    /** 1 for the first submission of the response, 2 after the first request for changes, … */
    number: { type: Number, required: true, min: 1 },
    questionnaireId: { type: String, required: true },
    questionnaireVersion: { type: Number, required: true },
    definitionHash: { type: String, required: true },
    /** The response's stored answers at submission (`answers.<questionId> = { value, updatedAt }`). */
    answers: { type: Schema.Types.Mixed, required: true },
    evidence: { type: [evidenceRefSchema], default: [] },
    declaration: {
      name: { type: String, required: true },
      role: { type: String, required: true },
    },
    submittedAt: { type: Date, required: true },
  },
  { collection: 'response_submissions', versionKey: false, minimize: false },
);
submissionSchema.index({ responseId: 1, number: 1 }, { unique: true });
submissionSchema.index({ organisationId: 1, supplierId: 1, submittedAt: -1 });

/** A submission as read with `.lean()`. */
export interface SubmissionData {
  _id: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  responseId: mongoose.Types.ObjectId;
  campaignId: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
  invitationId: mongoose.Types.ObjectId;
  number: number;
  questionnaireId: string;
  questionnaireVersion: number;
  definitionHash: string;
  answers: Record<string, StoredAnswer>;
  evidence: EvidenceRef[];
  declaration: { name: string; role: string };
  submittedAt: Date;
}

function registerSubmissionModel(conn: mongoose.Connection) {
  return conn.model('ResponseSubmission', submissionSchema);
}
export type SubmissionModel = ReturnType<typeof registerSubmissionModel>;

export function submissionModel(conn: mongoose.Connection): SubmissionModel {
  return (conn.models.ResponseSubmission as SubmissionModel | undefined) ?? registerSubmissionModel(conn);
}
