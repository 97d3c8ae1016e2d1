/**
 * The TCP side: accepts connections, frames messages, answers each request in arrival order.
 * A connection that breaks the protocol is closed and logged; nothing a client sends can stop the server.
 */
import net from 'node:net';
import { errorReply, mongoError } from './errors';
import type { Document } from './types';
import { dispatch } from './commands/dispatcher';
import type { ConnectionInfo, ConnectionStats, ServerContext } from './commands/context';
import { CloseConnectionRequest } from './commands/fail-points';
import { FramingError, MessageFramer } from './wire/framer';
import { encodeOpMsgReply, encodeOpReply, parseRequest, ProtocolError, type Request } from './wire/protocol';

/** mongod's default `net.maxIncomingConnections`: connections past it are refused. */
export const MAX_INCOMING_CONNECTIONS = 1_000_000;

class ClientConnection implements ConnectionInfo {
  readonly remote: string;
  appName?: string;
  private readonly framer = new MessageFramer();
  /** Requests are handled one after another so pipelined replies keep their order. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private waitingForDrain = false;
  private readonly closing = new AbortController();

  constructor(
    readonly id: number,
    private readonly socket: net.Socket,
    private readonly ctx: ServerContext,
    private readonly stats: ConnectionStats,
    private readonly onClose: (conn: ClientConnection) => void,
  ) {
    this.remote = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (err) => this.ctx.logger.debug({ err, connectionId: id }, 'connection error'));
    socket.on('close', () => {
      this.closed = true;
      this.closing.abort();
      this.ctx.logger.debug({ connectionId: id, remote: this.remote }, 'connection closed');
      this.onClose(this);
    });
    this.ctx.logger.debug({ connectionId: id, remote: this.remote }, 'connection accepted');
  }

  get closedSignal(): AbortSignal {
    return this.closing.signal;
  }

  destroy(): void {
    this.closed = true;
    this.closing.abort();
    this.socket.destroy();
  }

  /** Resolves when the request being handled (if any) has finished; later queued requests are skipped once closed. */
  settled(): Promise<void> {
    return this.queue;
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    this.stats.bytesIn += chunk.length;
    let messages: Buffer[];
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const message of messages) this.queue = this.queue.then(() => this.handle(message));
  }

  private async handle(message: Buffer): Promise<void> {
    if (this.closed) return;
    let request: Request;
    try {
      request = parseRequest(message);
    } catch (err) {
      this.fail(err instanceof ProtocolError ? err : new ProtocolError(`unreadable message: ${String(err)}`));
      return;
    }
    this.stats.requests++;
    this.stats.active++;
    try {
      const reply = await this.answer(request);
      if (reply && !this.closed) this.send(reply);
    } catch (err) {
      if (err instanceof CloseConnectionRequest) {
        this.ctx.logger.debug({ connectionId: this.id }, 'closing connection as the failCommand fail point asks');
        this.destroy();
        return;
      }
      this.fail(err);
    } finally {
      this.stats.active--;
    }
  }

  private async answer(request: Request): Promise<Buffer | undefined> {
    if (request.kind === 'query') {
      if (!request.fullCollectionName.endsWith('.$cmd')) {
        throw new ProtocolError(`legacy OP_QUERY is only supported for commands, got ${request.fullCollectionName}`);
      }
      const db = request.fullCollectionName.slice(0, -'.$cmd'.length);
      const reply = await dispatch(request.body, this, this.ctx, { defaultDb: db });
      return this.encode(encodeOpReply, request.header.requestId, reply);
    }
    const reply: Document = await dispatch(request.body, this, this.ctx, { unacknowledged: request.moreToCome });
    if (request.moreToCome) return undefined;
    return this.encode(encodeOpMsgReply, request.header.requestId, reply);
  }

  /** A client that does not read its replies stops being read from until it catches up. */
  private send(reply: Buffer): void {
    this.stats.bytesOut += reply.length;
    if (this.socket.write(reply) || this.waitingForDrain) return;
    this.waitingForDrain = true;
    this.socket.pause();
    this.socket.once('drain', () => {
      this.waitingForDrain = false;
      this.socket.resume();
    });
  }

  /** A reply that cannot be serialised (e.g. over 16 MB) becomes an error reply instead of a dropped connection. */
  private encode(encoder: (responseTo: number, body: Document) => Buffer, responseTo: number, reply: Document): Buffer {
    try {
      return encoder(responseTo, reply);
    } catch (err) {
      this.ctx.logger.warn({ err, connectionId: this.id }, 'reply could not be serialised');
      const tooLarge = mongoError('BSONObjectTooLarge', `reply could not be serialised: ${err instanceof Error ? err.message : String(err)}`);
      return encoder(responseTo, errorReply(tooLarge));
    }
  }

  private fail(err: unknown): void {
    const expected = err instanceof ProtocolError || err instanceof FramingError;
    this.ctx.logger[expected ? 'warn' : 'error'](
      { err, connectionId: this.id, remote: this.remote },
      'closing connection after a protocol error',
    );
    this.destroy();
  }
}

export interface ListeningServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0 = any free port) and serves `ctx` until closed. */
export async function listen(host: string, port: number, ctx: ServerContext): Promise<ListeningServer> {
  const connections = new Set<ClientConnection>();
  const stats: ConnectionStats = { current: 0, totalCreated: 0, active: 0, rejected: 0, maxIncoming: MAX_INCOMING_CONNECTIONS, bytesIn: 0, bytesOut: 0, requests: 0 };
  let nextId = 1;
  const server = net.createServer((socket) => {
    stats.totalCreated++;
    const conn = new ClientConnection(nextId++, socket, ctx, stats, (c) => {
      connections.delete(c);
      stats.current = connections.size;
    });
    connections.add(conn);
    stats.current = connections.size;
  });
  server.maxConnections = MAX_INCOMING_CONNECTIONS;
  server.on('drop', () => stats.rejected++);
  ctx.connectionStats = stats;
  server.on('error', (err) => ctx.logger.error({ err }, 'server socket error'));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    port: boundPort,
    close: async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const open = [...connections];
      for (const conn of open) conn.destroy();
      // Let commands already running finish (a write reaches the journal) before the caller closes storage.
      await Promise.all(open.map((conn) => conn.settled()));
      await stopped;
    },
  };
}
