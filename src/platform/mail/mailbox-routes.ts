/**
 * The admins' view of their organisation's outgoing mail: every message with its status, attempts and last error,
 * and "try again" for failed ones. Outside production it is also the in-app mailbox: each message can be read with
 * its working links, so the whole flow can be tried without a mail server. In production bodies are never shown
 * (they hold supplier links).
 */
import { Router, type RequestHandler } from 'express';
import mongoose from 'mongoose';
import { z } from 'zod';
import type { Config } from '../../config';
import { HttpError } from '../errors';
import { escapeRegex } from '../regex';
import { OUTBOX_STATUSES, outboxModel, type Outbox, type OutboxRecord } from './outbox';

const PAGE_SIZE = 50;

const listQuery = z.object({
  status: z.enum(OUTBOX_STATUSES).optional(),
  to: z.string().trim().max(320).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});

const idParam = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/i) });

export interface MailboxDeps {
  connection: mongoose.Connection;
  outbox: Outbox;
  config: Pick<Config, 'isProduction'>;
}

/** The text part as HTML: escaped, with http(s) links made clickable. */
export function linkifiedText(text: string): string {
  const escaped = text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
  return escaped.replace(/https?:\/\/[^\s<>"']+/g, (url) => `<a href="${url}">${url}</a>`);
}

function organisationOf(req: Parameters<RequestHandler>[0]): mongoose.Types.ObjectId {
  const id = req.user?.organisationId;
  if (!id) throw new HttpError(401, 'common:errors.unauthenticated');
  return new mongoose.Types.ObjectId(id);
}

export function mailboxRouter(deps: MailboxDeps, guard: RequestHandler): Router {
  const router = Router();
  const readable = !deps.config.isProduction;

  router.get('/admin/mailbox', guard, async (req, res) => {
    const query = listQuery.safeParse(req.query);
    if (!query.success) throw new HttpError(400, 'common:errors.badRequest');
    const { status, to, page } = query.data;
    const filter: Record<string, unknown> = { organisationId: organisationOf(req) };
    if (status) filter.status = status;
    if (to) filter.to = { $regex: escapeRegex(to), $options: 'i' };
    const collection = outboxModel(deps.connection).collection;
    const [messages, total, failed] = await Promise.all([
      collection.find<OutboxRecord>(filter, { projection: { body: 0 } }).sort({ createdAt: -1, _id: -1 }).skip((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).toArray(),
      collection.countDocuments(filter),
      collection.countDocuments({ organisationId: filter.organisationId, status: 'failed' }),
    ]);
    res.render('mail/index', {
      title: res.locals.t('mail:title'),
      messages,
      total,
      failed,
      page,
      pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
      filters: { status: status ?? '', to: to ?? '' },
      statuses: OUTBOX_STATUSES,
      readable,
      transportKind: deps.outbox.transportKind,
    });
  });

  router.post('/admin/mailbox/retry', guard, async (req, res) => {
    const count = await deps.outbox.retryFailed(organisationOf(req));
    res.redirect(303, `/admin/mailbox?retried=${count}`);
  });

  if (readable) {
    const readMessage = async (req: Parameters<RequestHandler>[0]) => {
      const params = idParam.safeParse(req.params);
      if (!params.success) throw new HttpError(404, 'common:errors.notFound');
      const message = await deps.outbox.read(params.data.id);
      if (!message || String(message.organisationId) !== String(organisationOf(req))) throw new HttpError(404, 'common:errors.notFound');
      return message;
    };

    router.get('/admin/mailbox/:id', guard, async (req, res) => {
      const message = await readMessage(req);
      res.render('mail/show', { title: message.subject, message, textHtml: linkifiedText(message.body?.text ?? '') });
    });

    // The HTML part on its own, in a sandbox: no script, no form, nothing of the app's origin.
    router.get('/admin/mailbox/:id/html', guard, async (req, res) => {
      const message = await readMessage(req);
      res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox");
      res.set('X-Frame-Options', 'SAMEORIGIN');
      res.type('html').send(message.body?.html ?? '');
    });
  }
  return router;
}
