import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { requireRole, safeRedirectTarget, type SessionUser } from '../../src/accounts';
import { HttpError } from '../../src/platform/errors';

function appWithUser(user: SessionUser | undefined): express.Express {
  const app = express();
  app.use((req, _res, next) => {
    if (user) req.user = user;
    next();
  });
  app.get('/buyers-only', requireRole('buyer'), (_req, res) => {
    res.send('secret');
  });
  app.post('/buyers-only', requireRole('buyer'), (_req, res) => {
    res.send('done');
  });
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(error instanceof HttpError ? error.status : 500).send(error instanceof HttpError ? error.messageKey : 'unexpected');
  });
  return app;
}

const auditor: SessionUser = { id: 'a1', email: 'a@x.example', name: 'A', roles: ['auditor'], organisationId: 'o1', locale: 'sv' };
const buyer: SessionUser = { ...auditor, id: 'b1', roles: ['buyer'] };

describe('requireRole', () => {
  it('When the user holds the role, then the route runs', async () => {
    await request(appWithUser(buyer)).get('/buyers-only').expect(200, 'secret');
  });

  it('When the user holds another role, then 403 and the route does not run', async () => {
    await request(appWithUser(auditor)).get('/buyers-only').expect(403, 'common:errors.forbidden');
  });

  it('When nobody is logged in and a page is requested, then a redirect to the login page keeps the target', async () => {
    await request(appWithUser(undefined)).get('/buyers-only?x=1').expect(302).expect('Location', '/login?next=%2Fbuyers-only%3Fx%3D1');
  });

  it('When nobody is logged in and a form is posted, then 401', async () => {
    await request(appWithUser(undefined)).post('/buyers-only').expect(401, 'common:errors.unauthenticated');
  });

  it('When a redirect target is not a local path, then the home page is used', () => {
    assert.equal(safeRedirectTarget('/campaigns?x=1'), '/campaigns?x=1');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', '', undefined, 42]) {
      assert.equal(safeRedirectTarget(bad), '/');
    }
  });
});
