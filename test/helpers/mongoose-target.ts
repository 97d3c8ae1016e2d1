/** mongoose on the test MongoDB (see mongo-target.ts): a connection to a database unique to the calling test file. */
import mongoose, { type Connection } from 'mongoose';
import { connectTestClient, mongoUri } from './mongo-target';

export async function openMongooseConnection(label: string): Promise<Connection> {
  const { client, dbName } = await connectTestClient(label);
  await client.close();
  return mongoose.createConnection(await mongoUri(), { dbName, serverSelectionTimeoutMS: 5000 }).asPromise();
}

/** Drops the connection's database and closes it (a test file's `after`). */
export async function dropAndClose(conn: Connection | undefined): Promise<void> {
  if (!conn) return;
  await conn.dropDatabase();
  await conn.close();
}
