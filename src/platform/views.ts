import path from 'node:path';
import ejs from 'ejs';

type RenderCallback = (error: Error | null, html?: string) => void;

/**
 * An EJS view engine that wraps each page in `views/layout.ejs`. The page's output is passed to the layout as `body`;
 * a view rendered with `layout: false` (emails, fragments) comes back bare.
 *
 * Includes written as absolute paths (`include('/supplier/_question')`) resolve against the views folder without the
 * file-system check EJS makes for every relative include on every render; relative includes still work. Compiled
 * templates are cached when Express's `view cache` is on (it passes `cache: true`).
 *
 * Templates are compiled without `with (locals)`: each one names its inputs on its first line,
 * `<% const { t, section } = locals; -%>`, and reads optional ones as `locals.x`. Inside `with` every name in the
 * template is looked up dynamically, which made a section page render about ten times slower (bench/form-render.ts).
 */
export const TEMPLATE_OPTIONS = { _with: false } as const satisfies ejs.Options;

export function ejsWithLayout(viewsDir: string): (file: string, options: object, callback: RenderCallback) => void {
  const layoutFile = path.join(viewsDir, 'layout.ejs');
  return (file, options, callback) => {
    const locals = options as Record<string, unknown>;
    const ejsOptions: ejs.Options = { ...TEMPLATE_OPTIONS, root: viewsDir, views: [viewsDir], cache: locals.cache === true };
    ejs.renderFile(file, locals, { ...ejsOptions, filename: file }, (error, body) => {
      if (error) {
        callback(error);
        return;
      }
      if (locals.layout === false) {
        callback(null, body);
        return;
      }
      locals.body = body;
      ejs.renderFile(layoutFile, locals, { ...ejsOptions, filename: layoutFile }, (layoutError, html) => {
        if (layoutError) callback(layoutError);
        else callback(null, html);
      });
    });
  };
}
