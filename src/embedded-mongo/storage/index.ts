/** The storage engine's public face. */
import { EmbeddedStorage, type EngineOptions, type StorageLogger } from './engine';
import { InMemoryPersistence, type Persistence } from './persistence';

export { EmbeddedStorage } from './engine';
export type { EngineOptions, StorageLogger } from './engine';
export type { ChangeRecord, Persistence } from './persistence';
export { InMemoryPersistence } from './persistence';

export type StorageLocation = { inMemory: true } | { dbPath: string };

/**
 * Opens the storage engine. `{inMemory: true}` keeps nothing after close. `{dbPath}` needs a durable Persistence
 * (the write-ahead journal), passed as `options.persistence` until it is the default here.
 */
export async function openStorage(
  location: StorageLocation,
  logger?: StorageLogger,
  options: Omit<EngineOptions, 'logger'> & { persistence?: Persistence } = {},
): Promise<EmbeddedStorage> {
  const persistence = options.persistence ?? persistenceFor(location);
  const engine = new EmbeddedStorage(persistence, { ...options, logger });
  await engine.start();
  return engine;
}

function persistenceFor(location: StorageLocation): Persistence {
  if ('inMemory' in location && location.inMemory) return new InMemoryPersistence();
  throw new Error(`on-disk storage (dbPath ${'dbPath' in location ? location.dbPath : '?'}) needs the journal persistence, which is not built yet; use inMemory`);
}
