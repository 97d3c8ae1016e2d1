/**
 * Where the outbox hands a message over. SMTP (pooled nodemailer) when SMTP_URL is set; otherwise the in-app mailbox,
 * which accepts every message and leaves it readable in the outbox (a newcomer's machine needs no mail server).
 */
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';

export interface MailAttachment {
  filename: string;
  contentType: string;
  /** UTF-8 text (calendar invitations, CSV). */
  content: string;
}

/** A calendar invitation, sent as a text/calendar alternative so mail clients offer "add to calendar". */
export interface CalendarInvite {
  method: 'REQUEST' | 'CANCEL' | 'PUBLISH';
  content: string;
  filename?: string;
}

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  attachments?: MailAttachment[];
  calendar?: CalendarInvite;
  /** Stable per outbox message, so a message that had to be retried can be recognised as the same one. */
  messageId: string;
}

export interface MailTransport {
  /** `smtp` or `mailbox`: recorded on the message. */
  readonly kind: 'smtp' | 'mailbox' | 'test';
  /** Resolves once the receiving server accepted the message; rejects otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** An SMTP answer that no retry will change (5xx), as opposed to a refused connection or a 4xx. */
export class PermanentMailError extends Error {
  override name = 'PermanentMailError';
}

function responseCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('responseCode' in error)) return undefined;
  return typeof error.responseCode === 'number' ? error.responseCode : undefined;
}

function toNodemailer(mail: OutgoingMail): Mail.Options {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    attachments: mail.attachments?.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
    icalEvent: mail.calendar ? { method: mail.calendar.method, content: mail.calendar.content, filename: mail.calendar.filename ?? 'invite.ics' } : undefined,
  };
}

export interface SmtpOptions {
  /** Connections kept open to the server; messages are sent over them in parallel. */
  maxConnections?: number;
}

export function smtpTransport(smtpUrl: string, options: SmtpOptions = {}): MailTransport {
  const url = new URL(smtpUrl);
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxMessages: 500,
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  });
  return {
    kind: 'smtp',
    async send(mail) {
      try {
        const info = await transport.sendMail(toNodemailer(mail));
        if (info.rejected.length > 0) throw new PermanentMailError(`recipient refused: ${info.response}`);
      } catch (error) {
        const code = responseCodeOf(error);
        if (code !== undefined && code >= 500) throw new PermanentMailError(error instanceof Error ? error.message : String(error));
        throw error;
      }
    },
    close() {
      transport.close();
    },
  };
}

/** Accepts everything: the message stays in the outbox, readable in the in-app mailbox. */
export function mailboxTransport(): MailTransport {
  return {
    kind: 'mailbox',
    async send() {},
    close() {},
  };
}

/** Keeps handed-over messages in memory; `failWith` makes the next sends fail, as an unreachable server would. */
export class CapturingTransport implements MailTransport {
  readonly kind = 'test' as const;
  readonly messages: OutgoingMail[] = [];
  private failure: Error | undefined;

  async send(mail: OutgoingMail): Promise<void> {
    if (this.failure) throw this.failure;
    this.messages.push({ ...mail });
  }

  failWith(error: Error | undefined): void {
    this.failure = error;
  }

  last(): OutgoingMail | undefined {
    return this.messages.at(-1);
  }

  to(address: string): OutgoingMail[] {
    return this.messages.filter((m) => m.to.toLowerCase() === address.toLowerCase());
  }

  clear(): void {
    this.messages.length = 0;
  }

  close(): void {}
}
