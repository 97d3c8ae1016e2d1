/** The organisation's own details, edited by its admins: its name and the buyer contact suppliers are shown. */
import mongoose from 'mongoose';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { recordActivity, ref, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { organisationModel } from './model';
import { singleLine } from './service';

export interface OrganisationDetails {
  id: string;
  name: string;
  contactName: string;
  contactEmail: string;
}

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((value) => value || '');

export const organisationInput = z.object({
  name: singleLine(200),
  contactName: optionalText(200),
  contactEmail: z.union([z.literal(''), z.email().max(320).transform((email) => email.toLowerCase())]),
});
export type OrganisationInput = z.output<typeof organisationInput>;

export async function getOrganisationDetails(conn: mongoose.Connection, organisationId: string): Promise<OrganisationDetails> {
  const organisation = mongoose.isValidObjectId(organisationId) ? await organisationModel(conn).findById(organisationId) : null;
  if (!organisation) throw new HttpError(404, 'common:errors.notFound');
  return { id: organisation._id.toHexString(), name: organisation.name, contactName: organisation.contactName ?? '', contactEmail: organisation.contactEmail ?? '' };
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

/** Saves the changed fields; the activity entry lists each change with its old and new value. */
export async function updateOrganisation(
  deps: Pick<AppDeps, 'connection' | 'clock'>,
  organisationId: string,
  rawInput: unknown,
  actor: Actor,
): Promise<OrganisationDetails> {
  const input = organisationInput.parse(rawInput);
  const now = deps.clock.now();
  try {
    return await deps.connection.transaction(async (session) => {
      const current = await getOrganisationDetails(deps.connection, organisationId);
      const changes = Object.fromEntries(
        (['name', 'contactName', 'contactEmail'] as const).filter((field) => current[field] !== input[field]).map((field) => [field, { from: current[field], to: input[field] }]),
      );
      if (Object.keys(changes).length === 0) return current;
      await organisationModel(deps.connection).updateOne(
        { _id: organisationId },
        { $set: { name: input.name, contactName: input.contactName || undefined, contactEmail: input.contactEmail || undefined } },
        { session },
      );
      await recordActivity(
        deps.connection,
        { organisationId, actor, action: 'organisation.updated', subject: ref('organisation', organisationId), details: { changes }, at: now },
        { session },
      );
      return { ...current, ...input };
    });
  } catch (error) {
    if (isDuplicateKey(error)) throw new HttpError(409, 'accounts:organisation.nameTaken', {}, { field: 'name' });
    throw error;
  }
}
