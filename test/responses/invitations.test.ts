import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { invitationModel } from '../../src/campaigns/invitation-model';
import { createInvitation, resolveInvitation, revokeInvitation } from '../../src/campaigns/invitation-service';
import { buildTestApp, type TestApp } from '../helpers/app';
import { BUYER_CONTACT, createSupplierLink } from './fixtures';

const DAY_MS = 86_400_000;

describe('Supplier invitations', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'invitations' });
  });
  after(async () => {
    await t.close();
  });

  it('When an invitation is created, then its token has at least 128 random bits and only its SHA-256 hash is stored', async () => {
    const link = await createSupplierLink(t);
    assert.match(link.token, /^[A-Za-z0-9_-]+$/);
    assert.ok(Buffer.from(link.token, 'base64url').length >= 16);
    assert.equal(link.url, `http://127.0.0.1:3000/s/${link.token}`);
    const stored = await invitationModel(t.deps.connection).findById(link.invitationId).lean();
    assert.ok(stored);
    assert.equal(stored.tokenHash, createHash('sha256').update(link.token).digest('hex'));
    assert.ok(!JSON.stringify(stored).includes(link.token), 'the token itself is not stored');
  });

  it('When no expiry is given, then the link works for 60 days and not after', async () => {
    const link = await createSupplierLink(t);
    const stored = await invitationModel(t.deps.connection).findById(link.invitationId).lean();
    assert.equal(stored?.expiresAt?.getTime(), t.clock.now().getTime() + 60 * DAY_MS);
    const clock = { now: () => new Date(t.clock.now().getTime() + 60 * DAY_MS - 1) };
    assert.equal((await resolveInvitation({ connection: t.deps.connection, clock }, link.token)).status, 'valid');
    const later = { now: () => new Date(t.clock.now().getTime() + 60 * DAY_MS) };
    const expired = await resolveInvitation({ connection: t.deps.connection, clock: later }, link.token);
    assert.deepEqual(expired, { status: 'expired', contact: BUYER_CONTACT });
  });

  it('When an invitation is revoked by its organisation, then the link resolves as revoked with the buyer contact only', async () => {
    const link = await createSupplierLink(t);
    assert.equal(await revokeInvitation(t.deps, link.invitationId, '0123456789abcdef01234567'), false, 'another organisation cannot revoke it');
    assert.equal((await resolveInvitation(t.deps, link.token)).status, 'valid');
    assert.equal(await revokeInvitation(t.deps, link.invitationId, link.organisationId), true);
    assert.deepEqual(await resolveInvitation(t.deps, link.token), { status: 'revoked', contact: BUYER_CONTACT });
  });

  it('When a token is unknown or malformed, then it resolves as unknown without a database hit revealing anything', async () => {
    assert.deepEqual(await resolveInvitation(t.deps, 'A'.repeat(43)), { status: 'unknown' });
    assert.deepEqual(await resolveInvitation(t.deps, 'short'), { status: 'unknown' });
    assert.deepEqual(await resolveInvitation(t.deps, '../../etc/passwd'), { status: 'unknown' });
    assert.deepEqual(await resolveInvitation(t.deps, 'x'.repeat(500)), { status: 'unknown' });
  });

  it('When input is invalid, then no invitation is created', async () => {
    const before = await invitationModel(t.deps.connection).countDocuments();
    await assert.rejects(
      createInvitation(t.deps, {
        organisationId: 'not-an-id',
        campaignId: '0123456789abcdef01234567',
        supplierId: '0123456789abcdef01234567',
        questionnaireId: 'code-of-conduct-saq',
        questionnaireVersion: 1,
        language: 'sv',
      }),
    );
    await assert.rejects(
      createInvitation(t.deps, {
        organisationId: '0123456789abcdef01234567',
        campaignId: '0123456789abcdef01234567',
        supplierId: '0123456789abcdef01234567',
        questionnaireId: 'code-of-conduct-saq',
        questionnaireVersion: 1,
        language: 'sv',
        expiresInDays: 0,
      }),
    );
    assert.equal(await invitationModel(t.deps.connection).countDocuments(), before);
  });
});
