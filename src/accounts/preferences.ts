/** A user's own settings: their name, language and which mails they get. */
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { recordActivity, ref } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { userActor } from './actors';
import { USER_LOCALES, userModel } from './model';
import { singleLine, type SessionUser } from './service';

export interface Preferences {
  name: string;
  email: string;
  locale: 'sv' | 'en';
  notifySubmissions: boolean;
}

/** An unticked checkbox is simply absent from a form post. */
const checkbox = z.union([z.literal('on'), z.literal('true'), z.literal(true), z.literal(false), z.undefined()]).transform((value) => value === 'on' || value === 'true' || value === true);

export const preferencesInput = z.object({
  name: singleLine(200),
  locale: z.enum(USER_LOCALES),
  notifySubmissions: checkbox,
});

export async function getPreferences(deps: Pick<AppDeps, 'connection'>, user: SessionUser): Promise<Preferences> {
  const stored = await userModel(deps.connection).findById(user.id);
  if (!stored) throw new HttpError(401, 'common:errors.unauthenticated');
  return { name: stored.name, email: stored.email, locale: stored.locale === 'en' ? 'en' : 'sv', notifySubmissions: stored.notifications?.submissions !== false };
}

/** `rawInput` as a form or the API sent it; parsed here (a ZodError names the bad field). */
export async function updatePreferences(deps: Pick<AppDeps, 'connection' | 'clock'>, user: SessionUser, rawInput: unknown): Promise<Preferences> {
  const input = preferencesInput.parse(rawInput);
  const current = await getPreferences(deps, user);
  const next: Preferences = { ...current, name: input.name, locale: input.locale, notifySubmissions: input.notifySubmissions };
  const changed = (['name', 'locale', 'notifySubmissions'] as const).filter((field) => current[field] !== next[field]);
  if (changed.length === 0) return current;
  await deps.connection.transaction(async (session) => {
    await userModel(deps.connection).updateOne(
      { _id: user.id },
      { $set: { name: next.name, locale: next.locale, 'notifications.submissions': next.notifySubmissions } },
      { session },
    );
    await recordActivity(
      deps.connection,
      {
        organisationId: user.organisationId,
        actor: userActor({ id: user.id, name: next.name }),
        action: 'user.preferences_updated',
        subject: ref('user', user.id),
        details: { name: next.name, changes: Object.fromEntries(changed.map((field) => [field, { from: current[field], to: next[field] }])) },
        at: deps.clock.now(),
      },
      { session },
    );
  });
  return next;
}
