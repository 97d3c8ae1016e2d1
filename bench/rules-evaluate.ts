/**
 * The rules evaluator's speed, in memory: every rule of code-of-conduct-saq@2 over 10,000 generated answer sets,
 * against the visibility pass alone (computeVisibility, which every evaluation starts with and the supplier form
 * already runs on each save) over the same answers. The ratio shows what the rules add to that pass; target ≤ 10.
 * Answer sets are generated from a fixed seed, every question answered with a valid value, so hidden follow-ups and
 * most rules are exercised. No database: the stored-response benchmark of the follow-up engine builds on this.
 * `npx tsx bench/rules-evaluate.ts [answer sets]`
 */
import { performance } from 'node:perf_hooks';
import { paths } from '../src/platform/paths';
import { allQuestions, computeVisibility, evaluateRules, loadQuestionnaires, type AnswerValue, type Answers, type Question } from '../src/questionnaires';

const COUNT = Number(process.argv[2] ?? 10_000);
if (!Number.isInteger(COUNT) || COUNT < 1) throw new Error(`the number of answer sets must be a whole number ≥ 1, not ${process.argv[2]}`);
const TARGET_RATIO = 10;
const COUNTRIES = ['SE', 'CN', 'BD', 'IN', 'VN', 'TR', 'BR', 'PK'];

/** mulberry32: a small seeded generator, so every run evaluates the same answers. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)]!;
}

function answerFor(question: Question, next: () => number): AnswerValue | undefined {
  switch (question.type) {
    case 'yes_no':
      return next() < 0.8 ? 'yes' : 'no';
    case 'single_choice':
      return pick(question.options, next).id;
    case 'multiple_choice': {
      const plain = question.options.filter((o) => !o.exclusive).filter(() => next() < 0.3);
      return plain.length > 0 ? plain.map((o) => o.id) : [question.options.at(-1)!.id];
    }
    case 'number':
    case 'integer':
    case 'percentage': {
      const min = question.min ?? 0;
      const max = Math.min(question.max ?? 100, question.type === 'integer' ? 90 : 100);
      return Math.round(min + next() * (max - min));
    }
    case 'date':
      return '2026-09-15';
    case 'short_text':
    case 'long_text':
      return 'Answered in the benchmark.';
    case 'country':
      return pick(COUNTRIES, next);
    case 'evidence':
      return next() < 0.5 ? [{ fileId: 'bench', filename: 'records.pdf', size: 1000, contentType: 'application/pdf' }] : undefined;
  }
}

function generate(questions: Question[], count: number): Answers[] {
  const next = random(20_261_126);
  return Array.from({ length: count }, () => Object.fromEntries(questions.map((q) => [q.id, answerFor(q, next)]).filter(([, v]) => v !== undefined)) as Answers);
}

function timed(run: () => number): { ms: number; result: number } {
  const start = performance.now();
  const result = run();
  return { ms: performance.now() - start, result };
}

const registry = loadQuestionnaires(paths.questionnaires);
const definition = registry.get('code-of-conduct-saq', 2)!;
const rules = registry.currentRuleSet('code-of-conduct-saq', 2)!;
const answerSets = generate(allQuestions(definition), COUNT);

// One warm-up pass each, so both sides are measured with optimised code.
for (const answers of answerSets.slice(0, 500)) {
  computeVisibility(definition, answers).visibleQuestions();
  evaluateRules(rules, definition, answers, registry.countryContext);
}
const baseline = timed(() => answerSets.reduce((sum, answers) => sum + computeVisibility(definition, answers).visibleQuestions().length, 0));
const evaluation = timed(() => answerSets.reduce((sum, answers) => sum + evaluateRules(rules, definition, answers, registry.countryContext).length, 0));
const ratio = evaluation.ms / baseline.ms;

process.stdout.write(
  [
    `rules evaluation, ${rules.rules.length} rules of code-of-conduct-saq@2 over ${COUNT} answer sets (in memory)`,
    `  visibility pass alone   ${baseline.ms.toFixed(0).padStart(7)} ms  ${((baseline.ms * 1000) / COUNT).toFixed(1).padStart(7)} µs per answer set`,
    `  evaluateRules           ${evaluation.ms.toFixed(0).padStart(7)} ms  ${((evaluation.ms * 1000) / COUNT).toFixed(1).padStart(7)} µs per answer set, ${(evaluation.result / COUNT).toFixed(1)} flags on average`,
    `  ratio ${ratio.toFixed(1)} (target ≤ ${TARGET_RATIO}): ${ratio <= TARGET_RATIO ? 'met' : 'NOT MET'}`,
    '',
  ].join('\n'),
);
if (ratio > TARGET_RATIO) process.exitCode = 1;
