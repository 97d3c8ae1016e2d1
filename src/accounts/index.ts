export { ROLES, type Role, organisationModel, userModel } from './model';
export {
  createOrganisation,
  createUser,
  findOrganisationById,
  findOrganisationByName,
  hashPassword,
  type SessionUser,
} from './service';
export { createPassport } from './passport';
export { requireRole, safeRedirectTarget } from './middleware';
export { accountsRouter, LOGIN_ATTEMPTS_PER_WINDOW } from './routes';
export { apiTokenModel, createApiToken, listApiTokens, resolveApiToken, revokeApiToken, type ApiTokenRecord } from './api-tokens';
export { registerAccountsApi } from './api';
