import mongoose, { Schema } from 'mongoose';

/**
 * Where one supplier of a campaign stands, in order: not invited yet, invited (no link opened), opened a link, started
 * answering, submitted. "Overdue" is not a state: it is any state but submitted once the due date has passed.
 */
export const PARTICIPANT_STATES = ['notInvited', 'invited', 'opened', 'inProgress', 'submitted'] as const;
export type ParticipantState = (typeof PARTICIPANT_STATES)[number];

/** The state and its place in the order above, kept together so a list can be sorted by how far suppliers got. */
export function stateFields(state: ParticipantState): { state: ParticipantState; stateRank: number } {
  return { state, stateRank: PARTICIPANT_STATES.indexOf(state) };
}

/**
 * One row per supplier of a campaign: the campaign's progress list, kept up to date as invitations are sent, links
 * opened and responses started and submitted, so counting, filtering, sorting and paging a campaign of 10,000
 * suppliers happens in the database without reading every invitation and response (bench/campaign-progress.ts).
 * Name, country, sector and tags are the supplier's as they were when it was added to the campaign.
 */
const participantSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true },
    campaignId: { type: Schema.Types.ObjectId, required: true },
    supplierId: { type: Schema.Types.ObjectId, required: true },
    name: { type: String, required: true, maxlength: 200 },
    /** The name lower-cased, for sorting without a collation. */
    sortName: { type: String, required: true, maxlength: 200 },
    country: { type: String, required: true },
    sector: { type: String, default: '' },
    tags: { type: [String], default: [] },
    state: { type: String, enum: PARTICIPANT_STATES, required: true, default: 'notInvited' },
    stateRank: { type: Number, required: true, default: 0 },
    addedAt: { type: Date, required: true },
    invitedAt: { type: Date, default: null },
    openedAt: { type: Date, default: null },
    startedAt: { type: Date, default: null },
    submittedAt: { type: Date, default: null },
    lastRemindedAt: { type: Date, default: null },
    /** The supplier's latest step (invited, opened, saved, submitted); saves are noted at most every few minutes. */
    lastActivityAt: { type: Date, default: null },
  },
  { collection: 'campaign_suppliers', versionKey: false },
);
participantSchema.index({ campaignId: 1, supplierId: 1 }, { unique: true });
/** The index to take for "these suppliers of this campaign" (a filter that also names a state could pick another). */
export const BY_SUPPLIER = { campaignId: 1, supplierId: 1 } as const;
// Also the order sending walks the suppliers not invited yet in (sending.ts).
participantSchema.index({ campaignId: 1, state: 1, _id: 1 });
// The progress list's sort orders, each ending in _id as the list's own sort does, so a page is read from the index.
participantSchema.index({ campaignId: 1, sortName: 1, _id: 1 });
participantSchema.index({ campaignId: 1, country: 1, sortName: 1, _id: 1 });
participantSchema.index({ campaignId: 1, stateRank: 1, sortName: 1, _id: 1 });
participantSchema.index({ campaignId: 1, lastActivityAt: 1, sortName: 1, _id: 1 });
participantSchema.index({ organisationId: 1, supplierId: 1 });

/** A participant as read with the driver. */
export interface ParticipantRecord {
  _id: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  campaignId: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
  name: string;
  sortName: string;
  country: string;
  sector: string;
  tags: string[];
  state: ParticipantState;
  stateRank: number;
  addedAt: Date;
  invitedAt: Date | null;
  openedAt: Date | null;
  startedAt: Date | null;
  submittedAt: Date | null;
  lastRemindedAt: Date | null;
  lastActivityAt: Date | null;
}

function registerParticipantModel(conn: mongoose.Connection) {
  return conn.model('CampaignSupplier', participantSchema);
}
export type ParticipantModel = ReturnType<typeof registerParticipantModel>;

export function participantModel(conn: mongoose.Connection): ParticipantModel {
  return (conn.models.CampaignSupplier as ParticipantModel | undefined) ?? registerParticipantModel(conn);
}
