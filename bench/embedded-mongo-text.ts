/**
 * `$text` search on 200,000 supplier-like documents through the official driver, against an indexed equality find
 * on the same collection that returns as many documents (2,000): the ratio says how much dearer a text search is
 * than the cheapest indexed read of the same size. Also shown: building the text index, a ranked first page
 * (textScore sort, limit 20) and the text index's share of the server's memory.
 */
import { MongoClient, type Collection, type Document } from 'mongodb';
import { startMongoServer } from '../src/embedded-mongo';

const DOCS = 200_000;
const MEASURE_MS = 3000;
/** Each document's category (equality-indexed) is one of 100, and its products include one of 100 marker words. */
const GROUPS = 100;
const TARGET_RATIO = 4;

const NAMES = ['Nordic', 'Baltic', 'Green', 'Textile', 'Steel', 'Timber', 'Coffee', 'Paper', 'Glass', 'Leather', 'Cotton', 'Silk'];
const KINDS = ['Mill', 'Works', 'Trading', 'Supplies', 'Factory', 'Group', 'Partners', 'Industries'];
const PRODUCTS = ['shirts', 'towels', 'beams', 'furniture', 'beans', 'cups', 'boxes', 'bottles', 'shoes', 'gloves', 'yarn', 'fabric', 'bolts', 'panels'];

/** Deterministic pseudo-random numbers (the same documents every run). */
function numbers(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A word only documents of `group` contain in their products: "marker" + letters (digits would be one token). */
function marker(group: number): string {
  return `marker${String.fromCharCode(97 + Math.floor(group / 26))}${String.fromCharCode(97 + (group % 26))}`;
}

function supplier(i: number, random: () => number): Document {
  const pick = (words: string[]): string => words[Math.floor(random() * words.length)];
  const group = i % GROUPS;
  return {
    name: `${pick(NAMES)} ${pick(KINDS)} ${i}`,
    products: `${pick(PRODUCTS)}, ${pick(PRODUCTS)} and ${pick(PRODUCTS)} ${marker(group)}`,
    category: group,
  };
}

async function rate(op: (i: number) => Promise<unknown>, ms = MEASURE_MS): Promise<number> {
  for (let i = 0; i < 20; i++) await op(i);
  const started = process.hrtime.bigint();
  let count = 0;
  while (Number(process.hrtime.bigint() - started) / 1e6 < ms) await op(count++);
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

function line(label: string, value: string, target: string, ok: boolean | undefined): void {
  const verdict = ok === undefined ? '' : ok ? 'OK  ' : 'MISS';
  process.stdout.write(`${verdict.padEnd(5)}${label.padEnd(52)}${value.padStart(12)}   ${target}\n`);
}

async function fill(coll: Collection<Document>): Promise<void> {
  const random = numbers(42);
  for (let start = 0; start < DOCS; start += 10_000) {
    await coll.insertMany(Array.from({ length: 10_000 }, (_, j) => supplier(start + j, random)), { ordered: false });
  }
}

async function main(): Promise<void> {
  const server = await startMongoServer({ port: 0, inMemory: true });
  const client = await new MongoClient(server.uri).connect();
  const db = client.db('bench_text');
  const suppliers = db.collection('suppliers');
  try {
    await fill(suppliers);
    await suppliers.createIndex({ category: 1 });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const indexStarted = Date.now();
    await suppliers.createIndex({ name: 'text', products: 'text' }, { weights: { name: 3 } });
    line(`text index build on ${DOCS} docs (s)`, ((Date.now() - indexStarted) / 1000).toFixed(1), '(reference)', undefined);
    global.gc?.();
    line('RSS added by the text index (MB)', ((process.memoryUsage().rss - rssBefore) / 1024 / 1024).toFixed(0), '(reference)', undefined);

    const equality = (i: number): Promise<unknown> => suppliers.find({ category: (i * 37) % GROUPS }).toArray();
    const text = (i: number): Promise<unknown> => suppliers.find({ $text: { $search: marker((i * 37) % GROUPS) } }).toArray();
    const sample = (await suppliers.find({ $text: { $search: marker(7) } }).toArray()).length;
    const sameSize = sample === (await suppliers.countDocuments({ category: 7 }));
    line('documents per search (text = equality)', String(sample), `${DOCS / GROUPS}`, sameSize);

    const equalityRate = await rate(equality);
    const textRate = await rate(text);
    line(`indexed equality find, ${DOCS / GROUPS} docs (/s)`, equalityRate.toFixed(0), '(baseline)', undefined);
    line(`$text search, ${DOCS / GROUPS} docs (/s)`, textRate.toFixed(0), '(reference)', undefined);
    const ratio = equalityRate / textRate;
    line('$text cost vs indexed equality find', `${ratio.toFixed(2)}×`, `≤ ${TARGET_RATIO}×`, ratio <= TARGET_RATIO);

    const ranked = (i: number): Promise<unknown> =>
      suppliers
        .find({ $text: { $search: `${marker((i * 37) % GROUPS)} furniture` } }, { projection: { score: { $meta: 'textScore' } } })
        .sort({ score: { $meta: 'textScore' } })
        .limit(20)
        .toArray();
    line('ranked first page (textScore sort, limit 20) (/s)', (await rate(ranked)).toFixed(0), '(reference)', undefined);
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    await server.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
