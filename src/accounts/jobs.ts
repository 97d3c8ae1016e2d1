/** The accounts domain's persisted jobs: sending password-reset links, and removing throttle entries that ran out. */
import type { AppDeps } from '../deps';
import { PASSWORD_RESET_JOB, sendPasswordReset } from './password-changes';
import { removeExpiredThrottles, THROTTLE_CLEANUP_JOB } from './throttle';

export function registerAccountsJobs(deps: AppDeps): void {
  deps.scheduler.define(PASSWORD_RESET_JOB, (job) => sendPasswordReset(deps, job));
  deps.scheduler.define(THROTTLE_CLEANUP_JOB, async () => {
    await removeExpiredThrottles(deps.connection, deps.clock.now());
  });
}
