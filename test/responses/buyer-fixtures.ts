/** Fixtures for the buyer's side: responses answered (and submitted) through the supplier's own service functions. */
import { resolveInvitation } from '../../src/campaigns/invitation-service';
import { addEvidence } from '../../src/responses/evidence-service';
import { answersOf, openResponse, saveAnswers, submitResponse, type SupplierContext } from '../../src/responses/service';
import { visibleQuestions } from '../../src/questionnaires';
import type request from 'supertest';
import type { TestApp } from '../helpers/app';
import { validInput, type SupplierLink } from './fixtures';

export interface AnswerOptions {
  /** Raw inputs by question id, as the form posts them; every other visible question gets a typical answer. */
  answers?: Record<string, string | string[]>;
  files?: Array<{ questionId: string; buffer: Buffer; name: string }>;
  /** Default true. */
  submit?: boolean;
  declaration?: { name: string; role: string };
}

export async function supplierContext(t: TestApp, link: SupplierLink): Promise<SupplierContext> {
  const resolution = await resolveInvitation(t.deps, link.token);
  if (resolution.status !== 'valid') throw new Error(`link is ${resolution.status}`);
  return openResponse(t.deps, resolution.invitation);
}

/**
 * Answers the whole questionnaire section by section as a supplier would (answers that reveal follow-up questions are
 * answered again with those shown), uploads the files, and submits.
 */
export async function answerQuestionnaire(t: TestApp, link: SupplierLink, options: AnswerOptions = {}): Promise<SupplierContext> {
  let ctx = await supplierContext(t, link);
  const overrides = options.answers ?? {};
  for (const section of ctx.definition.sections) {
    for (let round = 0; round < 5; round += 1) {
      const answers = answersOf(ctx.response, ctx.definition);
      const shown = visibleQuestions(section, answers).filter((q) => q.type !== 'evidence');
      const input = Object.fromEntries(shown.map((q) => [q.id, overrides[q.id] ?? validInput(q)]));
      const before = shown.length;
      const outcome = await saveAnswers(t.deps, ctx, { sectionId: section.id, input, mode: 'section', locale: 'en' });
      if (!outcome.ok) throw new Error(`saving ${section.id}: ${JSON.stringify(outcome.errors)}`);
      ctx = await supplierContext(t, link);
      const after = visibleQuestions(section, answersOf(ctx.response, ctx.definition)).filter((q) => q.type !== 'evidence').length;
      if (after === before) break;
    }
  }
  for (const file of options.files ?? []) {
    await addEvidence(t.deps, ctx, file.questionId, { buffer: file.buffer, originalName: file.name });
    ctx = await supplierContext(t, link);
  }
  if (options.submit === false) return ctx;
  const declaration = options.declaration ?? { name: 'Karin Lund', role: 'CSR manager' };
  const outcome = await submitResponse(t.deps, ctx, { ...declaration, confirm: 'yes' });
  if (!outcome.ok) throw new Error(`submitting: ${JSON.stringify(outcome.errors)} missing ${outcome.missing.map((q) => q.id).join(', ')}`);
  return { ...ctx, response: outcome.response };
}

/** A supertest parser that keeps the body as bytes (downloads, exports). */
export function binary(res: request.Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
}
