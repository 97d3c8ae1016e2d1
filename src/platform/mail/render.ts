/**
 * Emails are EJS views under `views/emails/`: `<name>.ejs` for HTML and `<name>-text.ejs` for the plain-text part.
 * Rendered without a request (jobs send mail too), with the translate function of the recipient's language.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ejs from 'ejs';
import { paths } from '../paths';
import { TEMPLATE_OPTIONS } from '../views';

export interface RenderedMail {
  html: string;
  text: string;
}

const compiled = new Map<string, ejs.AsyncTemplateFunction>();

async function template(file: string): Promise<ejs.AsyncTemplateFunction> {
  let fn = compiled.get(file);
  if (!fn) {
    fn = ejs.compile(await readFile(file, 'utf8'), { ...TEMPLATE_OPTIONS, filename: file, root: paths.views, views: [paths.views], async: true });
    compiled.set(file, fn);
  }
  return fn;
}

/** `name` is a path below `views/emails/` without `.ejs`, e.g. `campaigns/invitation`. */
export async function renderMail(name: string, locals: Record<string, unknown>, viewsDir: string = paths.views): Promise<RenderedMail> {
  const base = path.join(viewsDir, 'emails', name);
  const [html, text] = await Promise.all([
    template(`${base}.ejs`).then((fn) => fn(locals)),
    template(`${base}-text.ejs`).then((fn) => fn(locals)),
  ]);
  return { html, text: text.replace(/\n{3,}/g, '\n\n').trim() + '\n' };
}
