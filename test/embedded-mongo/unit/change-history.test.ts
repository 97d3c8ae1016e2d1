import assert from 'node:assert/strict';
import { Timestamp, UUID } from 'bson';
import type { ChangeRecord } from '../../../src/embedded-mongo/storage';
import { ChangeHistory, type CommitEntry, type HistoryArchive } from '../../../src/embedded-mongo/storage/change-history';
import { commitsOf } from '../../../src/embedded-mongo/storage/durable/history-archive';
import { checkFrame, decodeRecords, encodeFrame } from '../../../src/embedded-mongo/storage/durable/frames';

function commit(ts: bigint, ns = 'app.suppliers'): CommitEntry {
  return { ts, wallTime: new Date(0), uuids: new Map(), records: [{ op: 'insert', ns, doc: { _id: Number(ts) } }] };
}

/** An archive holding `entries` (what a durable history keeps in journal files). */
function archiveOf(entries: CommitEntry[], lostUpTo = 0n): HistoryArchive {
  return {
    read: async (after, until) => entries.filter((e) => e.ts > after && e.ts <= until),
    lostUpTo: () => lostUpTo,
  };
}

async function timesAfter(history: ChangeHistory, after: bigint): Promise<bigint[]> {
  return (await history.read(after, 1 << 20)).map((e) => e.ts);
}

describe('change history', () => {
  it('When a commit is applied, then it is readable only once durable', async () => {
    const history = new ChangeHistory(10n, { maxBytes: 1 << 20, maxAgeMs: Infinity });
    history.append(commit(11n), 100);
    assert.deepEqual(await timesAfter(history, 10n), []);
    history.markDurable(11n);
    assert.deepEqual(await timesAfter(history, 10n), [11n]);
  });

  it('When a commit becomes durable, then only the waits on what it touched are woken', () => {
    const history = new ChangeHistory(10n, { maxBytes: 1 << 20, maxAgeMs: Infinity });
    const woken: string[] = [];
    history.subscribe({ kind: 'collection', ns: 'app.suppliers' }, () => woken.push('suppliers'));
    history.subscribe({ kind: 'collection', ns: 'app.audits' }, () => woken.push('audits'));
    history.subscribe({ kind: 'database', db: 'app' }, () => woken.push('app'));
    history.subscribe({ kind: 'database', db: 'other' }, () => woken.push('other'));
    history.subscribe({ kind: 'cluster' }, () => woken.push('cluster'));
    history.append(commit(11n), 100);
    history.markDurable(11n);
    assert.deepEqual(woken.sort(), ['app', 'cluster', 'suppliers']);
    assert.equal(history.waitingCount, 2);
    assert.equal(history.touchedAfter({ kind: 'collection', ns: 'app.audits' }, 10n), false, 'the audits stream has nothing to read');
    assert.equal(history.touchedAfter({ kind: 'collection', ns: 'app.suppliers' }, 10n), true);
  });

  it('When the in-memory history passes its byte bound, then the oldest commits go and positions before them are lost', async () => {
    const history = new ChangeHistory(10n, { maxBytes: 250, maxAgeMs: Infinity });
    assert.equal(history.lostUpTo(), 9n, 'a start time itself (an operationTime before any commit) is still kept');
    for (const ts of [11n, 12n, 13n]) history.append(commit(ts), 100);
    history.markDurable(13n);
    assert.equal(history.lostUpTo(), 11n);
    assert.deepEqual(await timesAfter(history, 11n), [12n, 13n]);
  });

  it('When the in-memory history holds commits older than its age bound, then they go', async () => {
    let now = 1_000_000;
    const history = new ChangeHistory(10n, { maxBytes: 1 << 20, maxAgeMs: 60_000, now: () => now });
    history.append({ ...commit(11n), wallTime: new Date(now) }, 100);
    history.append({ ...commit(12n), wallTime: new Date(now + 30_000) }, 100);
    history.markDurable(12n);
    now += 70_000;
    assert.equal(history.lostUpTo(), 11n);
    assert.deepEqual(await timesAfter(history, 10n), [12n]);
  });

  it('When a durable history reads before its in-memory part, then it reads the archive, and past an empty stretch the memory', async () => {
    const history = new ChangeHistory(20n, { maxBytes: 1 << 20, maxAgeMs: Infinity, archive: archiveOf([commit(15n), commit(18n)]) });
    history.append(commit(25n), 100);
    history.markDurable(25n);
    assert.deepEqual(await timesAfter(history, 10n), [15n, 18n]);
    assert.deepEqual(await timesAfter(history, 18n), [25n], 'nothing archived after 18 up to the restart: the newer commits come from memory');
  });

  it('When a durable history gets a big commit, then memory drops it (and all before it) and the archive serves them', async () => {
    const archived: CommitEntry[] = [];
    const history = new ChangeHistory(10n, { maxBytes: 1 << 30, maxAgeMs: Infinity, archive: archiveOf(archived) });
    for (const [ts, bytes] of [[11n, 100], [12n, 200_000], [13n, 100]] as const) {
      archived.push(commit(ts));
      history.append(commit(ts), bytes);
    }
    history.markDurable(13n);
    assert.deepEqual(await timesAfter(history, 12n), [13n], 'the small commit after it is in memory');
    assert.deepEqual(await timesAfter(history, 10n), [11n, 12n], 'the big one and those before it come from the archive');
  });
});

describe('change history in journal frames', () => {
  it('When a frame holds several commits, then each marker opens one, carrying the UUIDs of the one before when it has none', () => {
    const uuid = new UUID();
    const records: ChangeRecord[] = [
      { op: 'commit', ts: new Timestamp({ t: 100, i: 1 }), wallTime: new Date(1000), uuids: [{ ns: 'app.suppliers', uuid }] },
      { op: 'createCollection', ns: 'app.suppliers', options: {}, uuid },
      { op: 'insert', ns: 'app.suppliers', doc: { _id: 1 } },
      { op: 'commit', ts: new Timestamp({ t: 100, i: 2 }), wallTime: new Date(-5) },
      { op: 'insert', ns: 'app.suppliers', doc: { _id: 2 } },
    ];
    const scan = checkFrame(encodeFrame(records), 0);
    assert.equal(scan.kind, 'frame');
    const decoded: ChangeRecord[] = [];
    assert.ok(scan.kind === 'frame' && decodeRecords(scan.payload, Infinity, (batch) => decoded.push(...batch)));
    assert.deepEqual(decoded[3], records[3], 'a bare marker reads back exactly');
    const commits = commitsOf(decoded);
    assert.deepEqual(commits.map((c) => [c.ts, c.records.length, c.uuids.get('app.suppliers')]), [
      [(100n << 32n) | 1n, 2, uuid],
      [(100n << 32n) | 2n, 1, uuid],
    ]);
    assert.equal(commits[1].wallTime.getTime(), -5);
  });
});
