/**
 * The app's time-driven work: each domain defines its persisted jobs on the scheduler here (one line per domain), and
 * registers its listeners on `deps.responseHooks` (submissions, reopenings) in the same registrar.
 * The server starts the scheduler after this ran; tests run due jobs by hand (`runJobs()` in test/helpers/app.ts).
 */
import { registerCampaignJobs } from './campaigns';
import { registerAccountsJobs } from './accounts';
import type { AppDeps } from './deps';
import { registerSupplierImportJobs } from './suppliers';

type JobRegistrar = (deps: AppDeps) => void;

const REGISTRARS: JobRegistrar[] = [registerAccountsJobs, registerSupplierImportJobs, registerCampaignJobs];

export function registerBackgroundWork(deps: AppDeps): void {
  for (const register of REGISTRARS) register(deps);
}
