/**
 * The main navigation: each domain contributes its entries (in `src/app.ts`); a user sees the entries of the roles
 * they hold, the current one marked for assistive technology.
 */
import type { Request, RequestHandler } from 'express';

export interface NavItem {
  href: string;
  /** i18n key of the link text. */
  labelKey: string;
  /** Shown to users holding at least one of these roles. */
  roles: readonly string[];
}

export interface NavLink {
  href: string;
  labelKey: string;
  current: boolean;
}

function isCurrent(path: string, href: string): boolean {
  if (href === '/') return path === '/';
  return path === href || path.startsWith(`${href}/`);
}

export function navigationLocals(items: readonly NavItem[], rolesOf: (req: Request) => readonly string[]): RequestHandler {
  return (req, res, next) => {
    const roles = rolesOf(req);
    if (roles.length > 0) {
      const visible = items.filter((item) => item.roles.some((role) => roles.includes(role)));
      // The most specific matching entry is the current one (`/admin/users` over `/admin`).
      const current = visible.filter((item) => isCurrent(req.path, item.href)).sort((a, b) => b.href.length - a.href.length)[0];
      res.locals.nav = visible.map((item): NavLink => ({ href: item.href, labelKey: item.labelKey, current: item === current }));
    }
    next();
  };
}
