import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type pino from 'pino';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  /** Resolves once the transport accepted the message; rejects otherwise (callers mark things "sent" after). */
  send(message: MailMessage): Promise<void>;
}

export interface MailerOptions {
  /** SMTP URL; undefined → each message is written to `outboxDir` as an .eml file. */
  smtpUrl: string | undefined;
  outboxDir: string;
  from: string;
  logger: pino.Logger;
}

function assertAddress(to: string): void {
  if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(to)) throw new Error(`Invalid recipient address: ${JSON.stringify(to)}`);
}

/** Sends through SMTP, or, without SMTP, writes RFC 822 files to the outbox and logs where they went. */
export function createMailer(options: MailerOptions): Mailer {
  if (options.smtpUrl) return smtpMailer(options.smtpUrl, options.from, options.logger);
  return outboxMailer(options.outboxDir, options.from, options.logger);
}

function smtpMailer(smtpUrl: string, from: string, logger: pino.Logger): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      assertAddress(message.to);
      const info = await transport.sendMail({ from, ...message });
      logger.info({ to: message.to, subject: message.subject, messageId: info.messageId }, 'mail sent');
    },
  };
}

function outboxMailer(outboxDir: string, from: string, logger: pino.Logger): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message) {
      assertAddress(message.to);
      const info = await transport.sendMail({ from, ...message });
      const content = info.message;
      if (!Buffer.isBuffer(content)) throw new Error('nodemailer stream transport did not return a buffer');
      await mkdir(outboxDir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = path.join(outboxDir, `${stamp}-${randomUUID().slice(0, 8)}.eml`);
      await writeFile(file, content);
      logger.info({ to: message.to, subject: message.subject, file }, 'mail written to outbox (SMTP_URL not set)');
    },
  };
}

/** A mailer that keeps every message in memory, for tests. */
export class CapturingMailer implements Mailer {
  readonly messages: MailMessage[] = [];

  async send(message: MailMessage): Promise<void> {
    assertAddress(message.to);
    this.messages.push({ ...message });
  }

  last(): MailMessage | undefined {
    return this.messages.at(-1);
  }

  clear(): void {
    this.messages.length = 0;
  }
}
