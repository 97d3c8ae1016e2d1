import assert from 'node:assert/strict';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { z } from 'zod';
import { createApiToken, revokeApiToken } from '../../src/accounts';
import { ApiRegistry, apiRouter, type ApiPrincipal } from '../../src/platform/api';
import { HttpError } from '../../src/platform/errors';
import { buildTestApp, createTestOrganisation, sharedI18n, type TestApp, type TestOrganisation } from '../helpers/app';

describe('JSON API framework', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let token: string;

  before(async () => {
    t = await buildTestApp({ label: 'api' });
    org = await createTestOrganisation(t.deps, 'Region API');
    ({ token } = await createApiToken(t.deps.connection, { organisationId: org.id, name: 'Procurement system' }, t.clock.now()));
  });
  after(async () => {
    await t.close();
  });

  it('When a valid token calls, then the answer is its organisation’s', async () => {
    const res = await request(t.app).get('/api/v1/organisation').set('Authorization', `Bearer ${token}`).expect(200);
    assert.deepEqual(res.body, { id: org.id, name: 'Region API', contactName: '', contactEmail: '', tokenName: 'Procurement system' });
  });

  it('When the token is missing, malformed, unknown or revoked, then 401 as JSON with a Bearer challenge', async () => {
    const missing = await request(t.app).get('/api/v1/organisation').expect(401);
    assert.match(missing.headers['www-authenticate'] ?? '', /^Bearer/);
    assert.match(missing.body.error.message, /Authorization: Bearer/);
    await request(t.app).get('/api/v1/organisation').set('Authorization', 'Basic dXNlcjpwYXNz').expect(401);
    await request(t.app).get('/api/v1/organisation').set('Authorization', `Bearer ssa_${'x'.repeat(43)}`).expect(401);
    const { token: revoked, record } = await createApiToken(t.deps.connection, { organisationId: org.id, name: 'Old' }, t.clock.now());
    await request(t.app).get('/api/v1/organisation').set('Authorization', `Bearer ${revoked}`).expect(200);
    await revokeApiToken(t.deps.connection, org.id, record._id, undefined, t.clock.now());
    const res = await request(t.app).get('/api/v1/organisation').set('Authorization', `Bearer ${revoked}`).expect(401);
    assert.match(res.body.error.message, /revoked/);
  });

  it('When an address under the API does not exist, then 404 as JSON (also with a browser’s Accept header)', async () => {
    const res = await request(t.app).get('/api/v1/nothing-here').set('Accept', 'text/html').set('Authorization', `Bearer ${token}`).expect(404);
    assert.equal(typeof res.body.error.message, 'string');
  });

  it('When the OpenAPI document is requested, then it is OpenAPI 3.1 with bearer security and every route', async () => {
    const res = await request(t.app).get('/api/v1/openapi.json').expect(200);
    assert.equal(res.body.openapi, '3.1.0');
    assert.deepEqual(res.body.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      description: 'An API token created by an admin of your organisation',
    });
    assert.equal(res.body.paths['/organisation'].get.operationId, 'getOrganisation');
    assert.equal(res.body.servers[0].url, 'http://127.0.0.1:3000/api/v1');
  });

  it('When a token is stored, then only its hash is: the plain token appears nowhere in the database', async () => {
    const docs = await t.deps.connection.collection('api_tokens').find({}).toArray();
    assert.ok(docs.length > 0);
    assert.doesNotMatch(JSON.stringify(docs), new RegExp(token.slice(8)));
  });
});

describe('JSON API routes (framework behaviour)', () => {
  const principal: ApiPrincipal = { organisationId: '64b000000000000000000001', tokenId: '64b0000000000000000000aa', tokenName: 'Test' };
  const created: unknown[] = [];

  function appWith(registry: ApiRegistry, options: { requestsPerMinute?: number } = {}): express.Express {
    const app = express();
    app.use(
      '/api/v1',
      apiRouter(registry, {
        resolveToken: async (value) => (value === 'ssa_valid-token-for-the-test-suite' ? principal : null),
        logger: pino({ level: 'silent' }),
        i18n: sharedI18n(),
        baseUrl: 'http://api.test',
        ...options,
      }),
    );
    return app;
  }

  const registry = new ApiRegistry();
  registry.route(
    {
      method: 'post',
      path: '/things/{id}',
      operationId: 'createThing',
      summary: 'Create a thing',
      tag: 'Things',
      params: z.object({ id: z.string().regex(/^[0-9a-f]{24}$/) }),
      query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
      body: z.object({ name: z.string().min(1), contacts: z.array(z.object({ email: z.email() })).max(3) }),
      status: 201,
    },
    async ({ params, body, query, principal: caller }) => {
      if (body.name === 'explode') throw new HttpError(409, 'common:errors.badRequest');
      created.push(body);
      return { id: params.id, organisationId: caller.organisationId, dryRun: query.dryRun === 'true', name: body.name };
    },
  );
  const app = appWith(registry);
  const auth = { Authorization: 'Bearer ssa_valid-token-for-the-test-suite' };

  it('When the input is valid, then the handler gets it parsed and its answer is sent with the route’s status', async () => {
    const res = await request(app)
      .post('/api/v1/things/64b000000000000000000abc?dryRun=true')
      .set(auth)
      .send({ name: 'A', contacts: [{ email: 'a@b.example' }] })
      .expect(201);
    assert.deepEqual(res.body, { id: '64b000000000000000000abc', organisationId: principal.organisationId, dryRun: true, name: 'A' });
  });

  it('When a body field is invalid, then 400 names the field and the handler does not run', async () => {
    const before = created.length;
    const res = await request(app)
      .post('/api/v1/things/64b000000000000000000abc')
      .set(auth)
      .send({ name: 'A', contacts: [{ email: 'a@b.example' }, { email: 'not-an-address' }] })
      .expect(400);
    assert.equal(res.body.error.field, 'body.contacts.1.email');
    assert.match(res.body.error.message, /^body\.contacts\.1\.email: /);
    assert.equal(created.length, before);
  });

  it('When NoSQL operators are sent in place of values, then they are refused as invalid', async () => {
    const res = await request(app).post('/api/v1/things/64b000000000000000000abc').set(auth).send({ name: { $ne: null }, contacts: [] }).expect(400);
    assert.equal(res.body.error.field, 'body.name');
  });

  it('When a query value or a path id is malformed, then 400 or 404 naming it', async () => {
    const query = await request(app).post('/api/v1/things/64b000000000000000000abc?dryRun=maybe').set(auth).send({ name: 'A', contacts: [] }).expect(400);
    assert.equal(query.body.error.field, 'query.dryRun');
    const id = await request(app).post('/api/v1/things/not-an-id').set(auth).send({ name: 'A', contacts: [] }).expect(404);
    assert.equal(id.body.error.field, 'params.id');
  });

  it('When the body is not JSON, or a handler refuses, then the error is JSON too, in Swedish when asked for', async () => {
    const broken = await request(app).post('/api/v1/things/64b000000000000000000abc').set(auth).set('Content-Type', 'application/json').send('{"name":').expect(400);
    assert.equal(typeof broken.body.error.message, 'string');
    const sv = await request(app).post('/api/v1/things/64b000000000000000000abc').set(auth).set('Accept-Language', 'sv').send({ name: 'explode', contacts: [] }).expect(409);
    assert.match(sv.body.error.message, /kunde inte tolkas/);
  });

  it('When one client guesses tokens, then it is stopped after the limit with Retry-After; a valid token is not refused', async () => {
    const limited = appWith(registry, { requestsPerMinute: 3 });
    for (let i = 0; i < 3; i += 1) await request(limited).post('/api/v1/things/64b000000000000000000abc').set('Authorization', `Bearer ssa_wrong-guess-number-${i}-xxxxxxxx`).expect(401);
    const refused = await request(limited).post('/api/v1/things/64b000000000000000000abc').set('Authorization', 'Bearer ssa_wrong-guess-again-xxxxxxxxxxxx').expect(429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
  });

  it('When the document is built, then parameters and the request body come from the route’s schemas', () => {
    const doc = registry.document({ title: 'T', version: '1', description: 'D', serverUrl: 'http://api.test/api/v1' }) as {
      paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string; required: boolean }>; requestBody: unknown; responses: Record<string, unknown> }>>;
    };
    const operation = doc.paths['/things/{id}']?.post;
    assert.ok(operation);
    assert.deepEqual(
      operation.parameters.map((p) => [p.name, p.in, p.required]),
      [
        ['id', 'path', true],
        ['dryRun', 'query', false],
      ],
    );
    assert.ok(operation.requestBody);
    assert.ok(operation.responses['201'] && operation.responses['400']);
  });
});
