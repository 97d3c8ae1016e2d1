/**
 * Message bodies at rest: they hold supplier links (bearer secrets), so the outbox keeps them sealed with AES-256-GCM
 * under a key derived from the app's secret. A copy of the database alone does not reveal a working link.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface MailBody {
  text: string;
  html?: string;
  attachments?: Array<{ filename: string; contentType: string; content: string }>;
  calendar?: { method: 'REQUEST' | 'CANCEL' | 'PUBLISH'; content: string; filename?: string };
}

const KEY_INFO = 'outbox-body-v1';

export function bodyKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'supplier-self-assessment', KEY_INFO, 32));
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
export function sealBody(key: Buffer, body: MailBody): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
}

export function openBody(key: Buffer, sealed: string): MailBody {
  const [version, iv, tag, data] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed mail body');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  return JSON.parse(plain) as MailBody;
}
