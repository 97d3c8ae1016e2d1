/** The storage engine's public face. */
import { EmbeddedStorage, type EngineOptions, type StorageLogger } from './engine';
import { DurablePersistence, type DurableOptions } from './durable';
import { InMemoryPersistence, type Persistence } from './persistence';

export { EmbeddedStorage } from './engine';
export type { EngineOptions, StorageLogger } from './engine';
export type { ChangeRecord, Persistence } from './persistence';
export { InMemoryPersistence } from './persistence';
export { DataDirectoryError, DurablePersistence, type DurableOptions, type RecoveryReport } from './durable';

export type StorageLocation = { inMemory: true } | { dbPath: string };

/**
 * Opens the storage engine. `{inMemory: true}` keeps nothing after close; `{dbPath}` keeps a journal and
 * checkpoints there (see durable/). `options.persistence` replaces either (tests).
 */
export async function openStorage(
  location: StorageLocation,
  logger?: StorageLogger,
  options: Omit<EngineOptions, 'logger'> & { persistence?: Persistence; durable?: DurableOptions } = {},
): Promise<EmbeddedStorage> {
  const persistence = options.persistence ?? persistenceFor(location, { ...options.durable, logger: options.durable?.logger ?? logger });
  const recordFactory = persistence instanceof DurablePersistence ? persistence.spill.recordFactory : options.recordFactory;
  const engine = new EmbeddedStorage(persistence, { ...options, logger, recordFactory });
  if (persistence instanceof DurablePersistence) persistence.attach(engine);
  try {
    await engine.start();
  } catch (err) {
    // Never checkpoint a half-loaded engine over the data it failed to load.
    if (persistence instanceof DurablePersistence) await persistence.abandon();
    throw err;
  }
  return engine;
}

function persistenceFor(location: StorageLocation, durable: DurableOptions): Persistence {
  if ('inMemory' in location && location.inMemory) return new InMemoryPersistence();
  if ('dbPath' in location) return new DurablePersistence(location.dbPath, durable);
  throw new Error('openStorage needs {inMemory: true} or {dbPath}');
}
