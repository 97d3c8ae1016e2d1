import type { Actor } from '../platform/activity';
import type { SessionUser } from './service';

/** A logged-in person as the actor of an activity-log entry. */
export function userActor(user: Pick<SessionUser, 'id' | 'name'>): Actor {
  return { kind: 'user', id: user.id, name: user.name };
}

/** Failed logins and reset requests come from someone not (yet) known: the form is the actor. */
export const LOGIN_FORM_ACTOR: Actor = { kind: 'system', name: 'login form' };
export const RESET_FORM_ACTOR: Actor = { kind: 'system', name: 'password reset form' };
