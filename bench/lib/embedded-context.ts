/**
 * An embedded server's command context without sockets, for benchmarks that measure the server's own work by
 * dispatching commands in-process. In bench/lib/ so that `npm run bench` does not run it as a benchmark of its own.
 */
import { ObjectId } from 'bson';
import { newOpCounters, silentLogger, type ServerContext } from '../../src/embedded-mongo/commands/context';
import { CursorRegistry } from '../../src/embedded-mongo/commands/cursors';
import { SessionRegistry } from '../../src/embedded-mongo/commands/sessions';
import type { StorageEngine } from '../../src/embedded-mongo/types';

export function inProcessContext(storage: StorageEngine): ServerContext {
  return {
    storage,
    cursors: new CursorRegistry(),
    sessions: new SessionRegistry(storage, silentLogger),
    logger: silentLogger,
    opcounters: newOpCounters(),
    identity: { host: '127.0.0.1', port: 0, setName: 'embedded', electionId: new ObjectId(), startedAt: new Date(), inMemory: true },
  };
}
