/**
 * On-disk durability for the storage engine. A data directory (`--dbpath`) holds:
 *
 *   FORMAT                     "embedded-mongo data directory\nformat N": another N is refused, never misread
 *   mongod.lock                held with an OS file lock while a server has the directory open; names it (lock-file.ts)
 *   journal-<seq>.wal          16-byte header, then one frame per commit: [u32 length][u32 crc32][BSON records];
 *                              rotated at checkpoints and at an eighth of the change history's bound; the files a
 *                              checkpoint made unnecessary stay as change history within its bounds (history-archive.ts)
 *   change-history             the cluster time up to which change history may have been dropped
 *   checkpoint.bin             header (names the first journal after it), frames of the whole state, end marker
 *   checkpoint.tmp             a checkpoint being written (removed at start: the crash happened before its rename)
 *   documents.spill            big documents (all of *.chunks, ≥ 64 KB) out of memory; a cache rebuilt at each start
 *
 * A commit is durable once its frame is fsync'd (group commit shares one fsync among concurrent writers). Start-up
 * applies the checkpoint, then the journals in order up to the first torn or corrupt frame, cuts the tail there and
 * logs what it dropped.
 */
export { DurablePersistence, type CheckpointSource, type DurableOptions, type RecoveryReport } from './durable-persistence';
export { DataDirectoryError, FORMAT_VERSION } from './format';
export type { DroppedTail } from './recovery';
export { SpillStore, type SpillOptions } from './spill-store';
export { JournalHistory, type HistoryLimits } from './history-archive';
