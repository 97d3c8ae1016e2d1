export { ROLES, type Role, organisationModel, userModel } from './model';
export {
  createOrganisation,
  createUser,
  findOrganisationById,
  findOrganisationByName,
  type SessionUser,
} from './service';
export { hashPassword, passwordHashingFor, PASSWORD_HASHING, TEST_PASSWORD_HASHING, type ScryptCost } from './passwords';
export { createPassport } from './passport';
export { requireRole, safeRedirectTarget } from './middleware';
export { accountsRouter, LOGIN_ATTEMPTS_PER_WINDOW } from './routes';
export { userActor } from './actors';
export { apiTokenModel, createApiToken, listApiTokens, resolveApiToken, revokeApiToken, type ApiTokenRecord } from './api-tokens';
export { registerAccountsApi } from './api';
export { registerAccountsJobs } from './jobs';
