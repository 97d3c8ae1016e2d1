/**
 * Restart tests' server-and-client pair. Kept out of harness.ts, which the crash test bundles into a child process
 * that has no driver to load.
 */
import { MongoClient } from 'mongodb';

/**
 * A server on one data directory with a driver client on it, stopped and started again by restart tests.
 * `server` and `client` are the running ones (undefined while stopped).
 */
export function restartable<S extends { uri: string; close(): Promise<void> }>(startServer: () => Promise<S>) {
  let server: S | undefined;
  let client: MongoClient | undefined;
  return {
    get server(): S | undefined {
      return server;
    },
    get client(): MongoClient | undefined {
      return client;
    },
    async start(): Promise<MongoClient> {
      server = await startServer();
      client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
      return client;
    },
    async stop(): Promise<void> {
      await client?.close();
      await server?.close();
      client = undefined;
      server = undefined;
    },
  };
}
