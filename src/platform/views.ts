import path from 'node:path';
import ejs from 'ejs';

type RenderCallback = (error: Error | null, html?: string) => void;

/**
 * An EJS view engine that wraps each page in `views/layout.ejs`. The page's output is passed to the layout as `body`;
 * a view rendered with `layout: false` (emails, fragments) comes back bare.
 */
export function ejsWithLayout(viewsDir: string): (file: string, options: object, callback: RenderCallback) => void {
  const layoutFile = path.join(viewsDir, 'layout.ejs');
  return (file, options, callback) => {
    const locals = options as Record<string, unknown>;
    ejs.renderFile(file, locals, (error, body) => {
      if (error) {
        callback(error);
        return;
      }
      if (locals.layout === false) {
        callback(null, body);
        return;
      }
      ejs.renderFile(layoutFile, { ...locals, body }, (layoutError, html) => {
        if (layoutError) callback(layoutError);
        else callback(null, html);
      });
    });
  };
}
