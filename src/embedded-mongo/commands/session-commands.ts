/** startSession, endSessions, killAllSessions, refreshSessions. commit/abortTransaction run through the dispatcher's session plan. */
import { UUID } from 'bson';
import { mongoError } from '../errors';
import { requiredArray } from './args';
import type { CommandHandler } from './context';
import { SESSION_TIMEOUT_MINUTES } from './sessions';

const endSessions: CommandHandler = async (inv) => {
  const ids = requiredArray(inv.body, 'endSessions', 'endSessions');
  const ended = inv.ctx.sessions.end(ids);
  inv.ctx.cursors.killForSessions(ended);
  return { ok: 1 };
};

export const sessionCommands: Record<string, CommandHandler> = {
  startSession: async (inv) => {
    const id = new UUID().toBinary();
    inv.ctx.sessions.touch({ id });
    return { id: { id }, timeoutMinutes: SESSION_TIMEOUT_MINUTES, ok: 1 };
  },
  endSessions,
  killSessions: endSessions,
  refreshSessions: async (inv) => {
    for (const lsid of requiredArray(inv.body, 'refreshSessions', 'refreshSessions')) inv.ctx.sessions.touch(lsid);
    return { ok: 1 };
  },
  killAllSessions: async (inv) => {
    inv.ctx.sessions.killAll();
    inv.ctx.cursors.killAll();
    return { ok: 1 };
  },
  commitTransaction: async () => {
    throw mongoError('InvalidOptions', 'commitTransaction must be run within a session with autocommit: false and a txnNumber');
  },
  abortTransaction: async () => {
    throw mongoError('InvalidOptions', 'abortTransaction must be run within a session with autocommit: false and a txnNumber');
  },
};
