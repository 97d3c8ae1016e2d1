/**
 * The published rules pages, readable without logging in: an index of questionnaire versions and their rules
 * versions, one page per rules version with every rule in plain words, and the country table the rules compare
 * with. Mounted before the session middleware: nothing here reads or writes a session.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { QuestionnaireRegistry } from './loader';
import { HttpError } from '../platform/errors';
import { isLang } from '../platform/i18n';
import { minimumWorkingAgePage, rulesIndex, rulesPage } from './rules-service';

const STYLES = ['/static/css/rules.css'];
/** The pages change only when the app is deployed with new rules; a short shared cache spares repeated renders. */
const CACHE_CONTROL = 'public, max-age=300';

const versionParam = z.coerce.number().int().min(1).max(100_000);
const pageParams = z.object({
  questionnaireId: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(100),
  version: versionParam,
  rulesVersion: versionParam.optional(),
});

/** Links keep an explicit `?lang=`: without a session it is the only way the choice carries to the next page. */
function linkBuilder(req: Request): (path: string) => string {
  const lang = req.query.lang;
  return (path) => (isLang(lang) ? `${req.baseUrl}${path}?lang=${lang}` : `${req.baseUrl}${path}`);
}

function render(req: Request, res: Response, view: string, locals: Record<string, unknown>): void {
  res.set('Cache-Control', CACHE_CONTROL);
  res.vary('Accept-Language');
  res.render(view, { styles: STYLES, link: linkBuilder(req), ...locals });
}

export function rulesRouter(deps: { questionnaires: QuestionnaireRegistry }): Router {
  const router = Router();

  router.get('/', (req, res) => {
    render(req, res, 'rules/index', { title: req.t('rules:index.title'), questionnaires: rulesIndex(deps.questionnaires, req.lang) });
  });

  router.get('/minimum-working-age', (req, res) => {
    render(req, res, 'rules/minimum-working-age', { title: req.t('rules:minimumAge.title'), table: minimumWorkingAgePage(deps.questionnaires, req.lang) });
  });

  const showRules = (req: Request, res: Response) => {
    const params = pageParams.safeParse(req.params);
    if (!params.success) throw new HttpError(404, 'common:errors.notFound');
    const { questionnaireId, version, rulesVersion } = params.data;
    const page = rulesPage(deps.questionnaires, { id: questionnaireId, version, rulesVersion }, req.lang, req.t);
    if (!page) throw new HttpError(404, 'common:errors.notFound');
    render(req, res, 'rules/rule-set', { title: req.t('rules:page.title', { title: page.questionnaire.title, version: page.questionnaire.version }), page });
  };
  router.get('/:questionnaireId/:version', showRules);
  router.get('/:questionnaireId/:version/rules/:rulesVersion', showRules);

  return router;
}
