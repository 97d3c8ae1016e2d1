import assert from 'node:assert/strict';
import { allQuestions, computeVisibility, parseDefinition, QuestionnaireLoadError, type Question, type QuestionnaireDefinition } from '../../src/questionnaires';
import { paths } from '../../src/platform/paths';
import { loadQuestionnaires } from '../../src/questionnaires';

const text = (en: string) => ({ sv: `${en} (sv)`, en });

function definitionWith(questions: unknown[]): unknown {
  return { id: 'evidence-check', version: 1, status: 'draft', title: text('Evidence check'), sections: [{ id: 'one', title: text('One'), questions }] };
}

const base = [
  { id: 'has_policy', type: 'yes_no', label: text('Do you have a policy?'), evidence: { accept: ['pdf'] } },
  { id: 'staff', type: 'integer', label: text('How many staff?'), evidence: { accept: ['pdf'] } },
  { id: 'audited', type: 'yes_no', label: text('Were you audited?'), evidence: { accept: ['pdf'], show_if: { question: 'audited', equals: 'no' } } },
  { id: 'plan', type: 'yes_no', label: text('Is there a plan?'), evidence: { show_if: { all: [{ question: 'audited', equals: 'no' }, { question: 'plan', equals: 'yes' }] } } },
];

function question(definition: QuestionnaireDefinition, id: string): Question {
  const found = allQuestions(definition).find((q) => q.id === id);
  assert.ok(found, id);
  return found;
}

function problemOf(data: unknown): string {
  try {
    parseDefinition(data, 'evidence-check@1.yaml');
  } catch (error) {
    assert.ok(error instanceof QuestionnaireLoadError);
    return error.message;
  }
  assert.fail('the definition was accepted');
}

describe('Documents asked for only when the answer makes them relevant', () => {
  const definition = parseDefinition(definitionWith(base), 'evidence-check@1.yaml');
  const requested = (answers: Record<string, string | number>) => {
    const visibility = computeVisibility(definition, answers);
    return allQuestions(definition).filter((q) => visibility.isEvidenceRequested(q)).map((q) => q.id);
  };

  it('When a yes/no question has no evidence condition, then its documents are asked for on "yes" only', () => {
    assert.deepEqual(requested({}), []);
    assert.deepEqual(requested({ has_policy: 'no' }), []);
    assert.deepEqual(requested({ has_policy: 'yes' }), ['has_policy']);
  });

  it('When another kind of question has no evidence condition, then its documents are asked for once it is answered', () => {
    assert.deepEqual(requested({ staff: 12 }), ['staff']);
  });

  it('When the evidence has its own condition, then it decides, reading this question and earlier ones', () => {
    assert.deepEqual(requested({ audited: 'no' }), ['audited']);
    assert.deepEqual(requested({ audited: 'yes' }), []);
    assert.deepEqual(requested({ audited: 'no', plan: 'yes' }), ['audited', 'plan']);
    assert.deepEqual(requested({ audited: 'yes', plan: 'yes' }), []);
  });

  it('When an evidence condition refers to a later question, a value the question cannot have, or sits on an upload question, then loading stops naming the place', () => {
    const later = [...base.slice(0, 2), { ...base[2], evidence: { show_if: { question: 'plan', equals: 'yes' } } }, base[3]];
    assert.match(problemOf(definitionWith(later)), /sections\[0\]\.questions\[2\]\.evidence\.show_if: refers to a later question \("plan"\)/);
    const badValue = [{ ...base[0], evidence: { show_if: { question: 'has_policy', equals: 'maybe' } } }];
    assert.match(problemOf(definitionWith(badValue)), /evidence\.show_if: "has_policy" is a yes\/no question; equals must use yes or no, not "maybe"/);
    const unknownOperator = [{ ...base[0], evidence: { show_if: { question: 'has_policy', equal: 'yes' } } }];
    assert.match(problemOf(definitionWith(unknownOperator)), /evidence\.show_if: unknown condition key "equal"/);
    const onUpload = [{ id: 'files', type: 'evidence', label: text('Files'), evidence: { show_if: { answered: 'files' } } }];
    assert.match(problemOf(definitionWith(onUpload)), /an upload question has no evidence condition/);
  });

  it('When the shipped SAQ is loaded, then its published hash still matches and "upload your risk analysis" is asked for on "yes" only', () => {
    const saq = loadQuestionnaires(paths.questionnaires).get('code-of-conduct-saq', 1);
    assert.ok(saq);
    const riskAnalysis = allQuestions(saq).find((q) => q.evidence?.request?.en.startsWith('Upload the risk analysis'));
    assert.ok(riskAnalysis);
    const visibility = (value: string) => computeVisibility(saq, { [riskAnalysis.id]: value });
    assert.equal(visibility('no').isEvidenceRequested(riskAnalysis), false);
    assert.equal(visibility('yes').isEvidenceRequested(riskAnalysis), visibility('yes').isQuestionVisible(riskAnalysis));
  });
});
