/**
 * Logging in: throttled per account and per client address (both persisted, so every instance counts the same
 * failures), credentials checked without telling which part was wrong, every outcome for a known account in the
 * activity log.
 */
import type { AppDeps } from '../deps';
import { recordActivity, ref } from '../platform/activity';
import { LOGIN_FORM_ACTOR, userActor } from './actors';
import { passwordHashingFor } from './passwords';
import { checkCredentials, type SessionUser } from './service';
import { accountKey, blockedFor, clearKey, countEvents, ipKey, LOGIN_PER_ACCOUNT, LOGIN_PER_IP } from './throttle';

export type LoginDeps = Pick<AppDeps, 'connection' | 'clock' | 'config' | 'scheduler'>;

export type LoginOutcome =
  | { kind: 'success'; user: SessionUser }
  | { kind: 'refused' }
  /** The account or the address is blocked (now or by this attempt); the same for unknown emails. */
  | { kind: 'throttled'; retryAfterMs: number };

export interface LoginAttempt {
  email: string;
  password: string;
  ip: string | undefined;
}

function throttleKeys(attempt: Pick<LoginAttempt, 'email' | 'ip'>) {
  return { account: accountKey(LOGIN_PER_ACCOUNT, attempt.email), address: ipKey(LOGIN_PER_IP, attempt.ip) };
}

export async function attemptLogin(deps: LoginDeps, attempt: LoginAttempt): Promise<LoginOutcome> {
  const { connection } = deps;
  const now = deps.clock.now();
  const keys = throttleKeys(attempt);
  // A blocked account is refused before its password is checked, even a right one: otherwise guessing would go on.
  const wait = await blockedFor(connection, [keys.account, keys.address], now);
  if (wait > 0) return { kind: 'throttled', retryAfterMs: wait };

  const check = await checkCredentials(connection, attempt.email, attempt.password, now, passwordHashingFor(deps.config));
  if (check.user) {
    await clearKey(connection, keys.account);
    await recordActivity(connection, {
      organisationId: check.user.organisationId,
      actor: userActor(check.user),
      action: 'user.logged_in',
      subject: ref('user', check.user.id),
      details: { ip: attempt.ip ?? null },
      at: now,
    });
    return { kind: 'success', user: check.user };
  }

  const [accountBlocked, addressBlocked] = await countEvents(connection, deps.scheduler, [keys.account, keys.address], now);
  if (check.account) {
    await recordActivity(connection, {
      organisationId: check.account.organisationId,
      actor: LOGIN_FORM_ACTOR,
      action: 'user.login_failed',
      subject: ref('user', check.account.id),
      details: { name: check.account.name, reason: check.account.active ? 'password' : 'deactivated', ip: attempt.ip ?? null, blocked: accountBlocked },
      at: now,
    });
  }
  if (accountBlocked || addressBlocked) {
    return { kind: 'throttled', retryAfterMs: Math.max(accountBlocked ? LOGIN_PER_ACCOUNT.blockMs : 0, addressBlocked ? LOGIN_PER_IP.blockMs : 0) };
  }
  return { kind: 'refused' };
}

export async function recordLogout(deps: Pick<AppDeps, 'connection' | 'clock'>, user: SessionUser): Promise<void> {
  await recordActivity(deps.connection, {
    organisationId: user.organisationId,
    actor: userActor(user),
    action: 'user.logged_out',
    subject: ref('user', user.id),
    at: deps.clock.now(),
  });
}
