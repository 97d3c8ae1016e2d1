/** The campaigns domain's time-driven work, defined on the scheduler at start (src/background.ts). */
import type { AppDeps } from '../deps';
import { registerReminderJobs } from './reminders';

export function registerCampaignJobs(deps: AppDeps): void {
  registerReminderJobs(deps);
}
