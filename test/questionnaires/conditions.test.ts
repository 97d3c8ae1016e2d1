import assert from 'node:assert/strict';
import path from 'node:path';
import {
  allQuestions,
  computeVisibility,
  evaluateCondition,
  hiddenAnswerIds,
  isSectionVisible,
  isVisible,
  loadQuestionnaires,
  missingRequired,
  sectionOf,
  sectionProgress,
  visibleQuestions,
  type AnswerValue,
  type Answers,
  type Condition,
  type Question,
  type QuestionnaireDefinition,
  type Section,
} from '../../src/questionnaires';

const definition: QuestionnaireDefinition = loadQuestionnaires(path.join(__dirname, 'fixtures', 'valid')).get('supplier-check', 1)!;

function question(id: string): Question {
  const found = allQuestions(definition).find((q) => q.id === id);
  if (!found) throw new Error(`no question ${id}`);
  return found;
}

function section(id: string): Section {
  const found = definition.sections.find((s) => s.id === id);
  if (!found) throw new Error(`no section ${id}`);
  return found;
}

const ids = (questions: Question[]): string[] => questions.map((q) => q.id);

describe('Conditional display', () => {
  describe('When the supplier has not answered the question a follow-up depends on', () => {
    it('then the follow-up is hidden, and so is everything depending on it', () => {
      assert.deepEqual(ids(visibleQuestions(section('labour'), {})), ['employs_migrants', 'weekly_hours', 'benefits', 'contract_type']);
    });
  });

  describe('When a chain of follow-ups is answered and its first link is then changed to no', () => {
    const answers: Answers = { employs_migrants: 'no', migrant_share: 40, passports_held: 'yes', passport_storage: 'In a safe' };

    it('then every question of the chain is hidden, even though answers are stored for them', () => {
      assert.equal(isVisible(question('migrant_share'), answers), false);
      assert.equal(isVisible(question('passports_held'), answers), false);
      // passport_storage depends only on passports_held, which now counts as unanswered.
      assert.equal(isVisible(question('passport_storage'), answers), false);
    });

    it('then those stored answers are reported as hidden, to be discarded', () => {
      assert.deepEqual(hiddenAnswerIds(definition, answers), ['migrant_share', 'passports_held', 'passport_storage']);
    });
  });

  describe('When the chain is answered all the way', () => {
    const answers: Answers = { employs_migrants: 'yes', migrant_share: 40, passports_held: 'yes' };

    it('then each link is shown', () => {
      assert.deepEqual(ids(visibleQuestions(section('labour'), answers)), [
        'employs_migrants',
        'migrant_share',
        'passports_held',
        'passport_storage',
        'weekly_hours',
        'benefits',
        'contract_type',
      ]);
      assert.deepEqual(hiddenAnswerIds(definition, answers), []);
    });

    it('then an `all` condition needs every part: a share of 0 hides the passport question', () => {
      assert.equal(isVisible(question('passports_held'), { ...answers, migrant_share: 0 }), false);
    });
  });

  describe('When a multiple choice drives a section and a `not includes` condition', () => {
    it('then choosing housing shows the housing section', () => {
      const answers: Answers = { benefits: ['housing'] };
      assert.equal(isSectionVisible(section('housing'), answers), true);
      assert.deepEqual(ids(visibleQuestions(section('housing'), answers)), ['dormitory_locked', 'housing_photos']);
    });

    it('then without housing the whole section and its answers are hidden', () => {
      const answers: Answers = { benefits: ['meals'], dormitory_locked: 'yes' };
      assert.equal(isSectionVisible(section('housing'), answers), false);
      assert.deepEqual(visibleQuestions(section('housing'), answers), []);
      assert.deepEqual(hiddenAnswerIds(definition, answers), ['dormitory_locked']);
    });

    it('then choosing "none" hides the contract question, and other choices keep it', () => {
      assert.equal(isVisible(question('contract_type'), { benefits: ['none'] }), false);
      assert.equal(isVisible(question('contract_type'), { benefits: ['meals'] }), true);
      // Nothing chosen yet: `not includes none` holds, so the question is shown.
      assert.equal(isVisible(question('contract_type'), {}), true);
    });
  });

  describe('When answers carry keys that look like object properties', () => {
    it('then they are not mistaken for answers', () => {
      const answers = JSON.parse('{"__proto__": {"employs_migrants": "yes"}}') as Answers;
      assert.equal(isVisible(question('migrant_share'), answers), false);
    });
  });

  describe('When visibleQuestions is given the whole definition', () => {
    it('then it lists the visible questions of every visible section in order', () => {
      const visible = ids(visibleQuestions(definition, { employs_migrants: 'no', benefits: ['housing'] }));
      assert.deepEqual(visible, [
        'company_name',
        'country',
        'workers',
        'founded',
        'employs_migrants',
        'weekly_hours',
        'benefits',
        'contract_type',
        'dormitory_locked',
        'housing_photos',
      ]);
    });
  });

  describe('When a question object does not come from a loaded definition', () => {
    it('then the logic refuses it with a clear error instead of guessing', () => {
      const stray = { ...question('migrant_share') };
      assert.throws(() => isVisible(stray, {}), /does not come from a loaded questionnaire/);
    });
  });

  it('sectionOf finds the section a question belongs to', () => {
    assert.equal(sectionOf(question('dormitory_locked')).id, 'housing');
  });
});

describe('Evaluating conditions', () => {
  const values: Record<string, AnswerValue> = { n: 10, yn: 'yes', choice: 'b', many: ['x', 'y'], text: 'hello' };
  const valueOf = (id: string): AnswerValue | undefined => values[id];
  const table: Array<[Condition, boolean]> = [
    [{ question: 'yn', equals: 'yes' }, true],
    [{ question: 'yn', equals: 'no' }, false],
    [{ question: 'n', equals: 10 }, true],
    [{ question: 'choice', in: ['a', 'b'] }, true],
    [{ question: 'choice', in: ['a', 'c'] }, false],
    [{ question: 'n', gt: 10 }, false],
    [{ question: 'n', gte: 10 }, true],
    [{ question: 'n', lt: 10 }, false],
    [{ question: 'n', lte: 10 }, true],
    [{ question: 'yn', gt: 0 }, false],
    [{ question: 'many', includes: 'y' }, true],
    [{ question: 'many', includes: 'z' }, false],
    [{ question: 'many', equals: 'x' }, false],
    [{ answered: 'text' }, true],
    [{ answered: 'missing' }, false],
    [{ question: 'missing', equals: 'yes' }, false],
    [{ question: 'missing', lt: 5 }, false],
    [{ not: { question: 'missing', equals: 'yes' } }, true],
    [{ all: [{ question: 'yn', equals: 'yes' }, { question: 'n', gt: 5 }] }, true],
    [{ all: [{ question: 'yn', equals: 'yes' }, { question: 'n', gt: 50 }] }, false],
    [{ any: [{ question: 'yn', equals: 'no' }, { question: 'n', gt: 5 }] }, true],
    [{ any: [{ question: 'yn', equals: 'no' }, { question: 'n', gt: 50 }] }, false],
    [{ not: { any: [{ question: 'yn', equals: 'no' }, { answered: 'missing' }] } }, true],
  ];
  for (const [condition, expected] of table) {
    it(`${JSON.stringify(condition)} is ${expected}`, () => {
      assert.equal(evaluateCondition(condition, valueOf), expected);
    });
  }
});

describe('Progress and required answers', () => {
  describe('When nothing is answered yet', () => {
    it('then progress counts only the visible questions of the section', () => {
      assert.deepEqual(sectionProgress(section('labour'), {}), {
        total: 4,
        answered: 0,
        required: 1,
        requiredAnswered: 0,
        complete: false,
      });
    });

    it('then every visible required question is missing, in document order', () => {
      assert.deepEqual(ids(missingRequired(definition, {})), ['company_name', 'country', 'workers', 'employs_migrants']);
    });
  });

  describe('When a yes opens required follow-ups', () => {
    const answers: Answers = { company_name: 'Acme', country: 'SE', workers: 12, employs_migrants: 'yes' };

    it('then the follow-ups become required and the section is incomplete', () => {
      assert.deepEqual(ids(missingRequired(definition, answers)), ['migrant_share']);
      const progress = sectionProgress(section('labour'), answers);
      assert.equal(progress.required, 2);
      assert.equal(progress.requiredAnswered, 1);
      assert.equal(progress.complete, false);
    });

    it('then answering them completes the section', () => {
      const more: Answers = { ...answers, migrant_share: 0, weekly_hours: 40 };
      assert.deepEqual(missingRequired(definition, more), []);
      // A share of 0 keeps the passport questions hidden: five visible questions remain.
      assert.deepEqual(sectionProgress(section('labour'), more), {
        total: 5,
        answered: 3,
        required: 2,
        requiredAnswered: 2,
        complete: true,
      });
    });
  });

  describe('When answers are empty strings or empty lists', () => {
    it('then they count as unanswered', () => {
      const answers: Answers = { company_name: '  ', country: 'SE', workers: 3, employs_migrants: 'no', benefits: [] };
      assert.deepEqual(ids(missingRequired(definition, answers)), ['company_name']);
      assert.equal(sectionProgress(section('labour'), answers).answered, 1);
    });
  });

  describe('When a section is hidden', () => {
    it('then it has nothing to answer and counts as complete', () => {
      assert.deepEqual(sectionProgress(section('housing'), { dormitory_locked: 'yes' }), {
        total: 0,
        answered: 0,
        required: 0,
        requiredAnswered: 0,
        complete: true,
      });
    });

    it('then its required questions are required once it is shown', () => {
      const answers: Answers = { company_name: 'Acme', country: 'SE', workers: 12, employs_migrants: 'no', benefits: ['housing'] };
      assert.deepEqual(ids(missingRequired(definition, answers)), ['dormitory_locked']);
    });
  });
});

describe('Computing visibility once for a page', () => {
  const samples: Answers[] = [
    {},
    { employs_migrants: 'no', migrant_share: 40, passports_held: 'yes' },
    { employs_migrants: 'yes', migrant_share: 40, passports_held: 'yes', weekly_hours: 70, benefits: ['housing'], dormitory_locked: 'no' },
    { benefits: ['none'], contract_type: 'permanent', company_name: 'Acme' },
  ];
  for (const answers of samples) {
    it(`gives the same results as the single functions for ${JSON.stringify(answers)}`, () => {
      const visibility = computeVisibility(definition, answers);
      assert.deepEqual(ids(visibility.visibleQuestions()), ids(visibleQuestions(definition, answers)));
      for (const s of definition.sections) {
        assert.equal(visibility.isSectionVisible(s), isSectionVisible(s, answers));
        assert.deepEqual(visibility.progress(s), sectionProgress(s, answers));
        assert.deepEqual(ids(visibility.visibleQuestions(s)), ids(visibleQuestions(s, answers)));
      }
      assert.deepEqual(ids(visibility.missingRequired()), ids(missingRequired(definition, answers)));
      assert.deepEqual(visibility.hiddenAnswerIds(), hiddenAnswerIds(definition, answers));
    });
  }
});
