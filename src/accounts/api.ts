import { z } from 'zod';
import type { AppDeps } from '../deps';
import type { ApiRegistry } from '../platform/api';
import { HttpError } from '../platform/errors';
import { findOrganisationById } from './service';

const organisationResponse = z.object({ id: z.string(), name: z.string(), tokenName: z.string() });

/** The organisation the calling token belongs to: the first call an integration makes to check its token. */
export function registerAccountsApi(api: ApiRegistry, deps: Pick<AppDeps, 'connection'>): void {
  api.route(
    {
      method: 'get',
      path: '/organisation',
      operationId: 'getOrganisation',
      summary: 'The organisation of the calling API token',
      tag: 'Organisation',
      response: organisationResponse,
    },
    async ({ principal }) => {
      const organisation = await findOrganisationById(deps.connection, principal.organisationId);
      if (!organisation) throw new HttpError(404, 'common:errors.notFound');
      return { id: organisation._id.toHexString(), name: organisation.name, tokenName: principal.tokenName };
    },
  );
}
