/** On-disk durability for the storage engine: journal, checkpoints, recovery, lock file and format version. */
export { DurablePersistence, type CheckpointSource, type DurableOptions, type RecoveryReport } from './durable-persistence';
export { DataDirectoryError, FORMAT_VERSION } from './format';
export type { DroppedTail } from './recovery';
