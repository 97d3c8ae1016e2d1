import { Router } from 'express';
import { findOrganisationById, requireRole } from '../accounts';
import type { AppDeps } from '../deps';
import { HttpError } from '../platform/errors';
import { countryName } from '../questionnaires';
import { campaignOverviews } from './service';

/** The buyer/auditor home page: the organisation's campaigns and where each supplier stands (read-only). */
export function homeRouter(deps: Pick<AppDeps, 'connection' | 'clock'>): Router {
  const router = Router();
  router.get('/', requireRole('buyer', 'auditor', 'admin'), async (req, res) => {
    const user = req.user;
    if (!user) throw new HttpError(401, 'common:errors.unauthenticated');
    const organisation = await findOrganisationById(deps.connection, user.organisationId);
    const campaigns = await campaignOverviews(deps.connection, user.organisationId, deps.clock.now());
    res.render('home/index', {
      title: res.locals.t('common:home.title'),
      organisationName: organisation?.name ?? '',
      campaigns,
      countryName: (code: string) => countryName(code, req.lang),
    });
  });
  return router;
}
