import assert from 'node:assert/strict';
import path from 'node:path';
import {
  MAX_CONDITION_DEPTH,
  QuestionnaireLoadError,
  RuleEvaluationError,
  checkRuleExamples,
  diffRuleSets,
  evaluateRules,
  isCheckedRuleSet,
  loadCountryContext,
  loadQuestionnaires,
  parseDefinition,
  parseRuleSet,
  type Answers,
  type TriggeredFlag,
} from '../../src/questionnaires';

const FIXTURES = path.join(__dirname, 'fixtures', 'valid');
const context = loadCountryContext(FIXTURES);
const t = (en: string) => ({ sv: `${en} (sv)`, en });

const definition = parseDefinition(
  {
    id: 'evaluator-check',
    version: 1,
    status: 'draft',
    title: t('Evaluator check'),
    sections: [
      {
        id: 'site',
        title: t('Site'),
        questions: [
          { id: 'site_country', type: 'country', label: t('Country of the site') },
          { id: 'head_office_country', type: 'country', label: t('Country of the head office') },
          { id: 'hiring_age', type: 'integer', min: 0, max: 30, label: t('Minimum hiring age') },
          { id: 'apprentice_age', type: 'integer', min: 0, max: 30, label: t('Youngest apprentice') },
          { id: 'hours', type: 'number', min: 0, max: 168, label: t('Hours per week') },
          {
            id: 'fees',
            type: 'single_choice',
            label: t('Recruitment fees paid'),
            options: [
              { id: 'yes', label: t('Yes') },
              { id: 'no', label: t('No') },
              { id: 'dont_know', label: t('Do not know') },
            ],
          },
          { id: 'passports', type: 'yes_no', label: t('Passports kept') },
          { id: 'resign', type: 'yes_no', label: t('Free to resign') },
          {
            id: 'benefits',
            type: 'multiple_choice',
            label: t('Benefits'),
            options: [
              { id: 'housing', label: t('Housing') },
              { id: 'meals', label: t('Meals') },
              { id: 'none', label: t('None'), exclusive: true },
            ],
          },
          { id: 'housing_locked', type: 'yes_no', show_if: { question: 'benefits', includes: 'housing' }, label: t('Housing locked') },
          { id: 'records', type: 'evidence', label: t('Records') },
        ],
      },
    ],
  },
  'evaluator-check@1',
);

const EXAMPLE = { hours: 1 };

function ruleSetWith(when: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    questionnaire: 'evaluator-check@1',
    version: 1,
    status: 'draft',
    rules: [
      {
        id: 'the_rule',
        title: t('The rule'),
        when,
        severity: 'high',
        indicators: [9, 2],
        conventions: ['C29'],
        follow_up: 'desk_audit',
        rationale: t('Because.'),
        examples: { triggers: [EXAMPLE], does_not_trigger: [EXAMPLE] },
        ...overrides,
      },
    ],
  };
}

function evaluate(when: unknown, answers: Answers): TriggeredFlag[] {
  return evaluateRules(ruleSetWith(when), definition, answers, context);
}

function holds(when: unknown, answers: Answers): boolean {
  return evaluate(when, answers).length === 1;
}

function causes(when: unknown, answers: Answers): Array<[string, unknown]> {
  const [flag] = evaluate(when, answers);
  assert.ok(flag, 'the rule did not trigger');
  return flag.causes.map((c) => [c.question, c.value]);
}

function loadError(run: () => unknown): QuestionnaireLoadError {
  try {
    run();
  } catch (error) {
    if (error instanceof QuestionnaireLoadError) return error;
    throw error;
  }
  assert.fail('no QuestionnaireLoadError');
}

function nested(depth: number): unknown {
  let condition: unknown = { question: 'passports', equals: 'yes' };
  for (let i = 0; i < depth; i += 1) condition = { not: condition };
  return condition;
}

describe('Evaluating rules', () => {
  describe('When a leaf compares an answer with a value', () => {
    const cases: Array<[string, unknown, Answers, boolean]> = [
      ['equals on a choice', { question: 'fees', equals: 'yes' }, { fees: 'yes' }, true],
      ['equals on another choice', { question: 'fees', equals: 'yes' }, { fees: 'dont_know' }, false],
      ['equals on a number', { question: 'hiring_age', equals: 14 }, { hiring_age: 14 }, true],
      ['in', { question: 'fees', in: ['yes', 'dont_know'] }, { fees: 'dont_know' }, true],
      ['in, not listed', { question: 'fees', in: ['yes', 'dont_know'] }, { fees: 'no' }, false],
      ['includes', { question: 'benefits', includes: 'housing' }, { benefits: ['meals', 'housing'] }, true],
      ['includes, not chosen', { question: 'benefits', includes: 'housing' }, { benefits: ['meals'] }, false],
      ['gt', { question: 'hours', gt: 60 }, { hours: 60.5 }, true],
      ['gt at the bound', { question: 'hours', gt: 60 }, { hours: 60 }, false],
      ['gte at the bound', { question: 'hours', gte: 60 }, { hours: 60 }, true],
      ['lt', { question: 'hiring_age', lt: 15 }, { hiring_age: 14 }, true],
      ['lt at the bound', { question: 'hiring_age', lt: 15 }, { hiring_age: 15 }, false],
      ['lte at the bound', { question: 'hiring_age', lte: 15 }, { hiring_age: 15 }, true],
      ['answered', { answered: 'records' }, { records: [{ fileId: 'f', filename: 'a.pdf', size: 1, contentType: 'application/pdf' }] }, true],
      ['answered, nothing uploaded', { answered: 'records' }, {}, false],
    ];
    for (const [name, when, answers, expected] of cases) {
      it(`then ${name} ${expected ? 'holds' : 'does not hold'} for ${JSON.stringify(answers)}`, () => {
        assert.equal(holds(when, answers), expected);
      });
    }

    it('then an unanswered question makes every comparison false, and its negation true', () => {
      assert.equal(holds({ question: 'fees', equals: 'no' }, {}), false);
      assert.equal(holds({ question: 'hours', lt: 1000 }, {}), false);
      assert.equal(holds({ not: { question: 'fees', equals: 'yes' } }, {}), true);
    });

    it('then a hidden question counts as unanswered, whatever is stored for it', () => {
      const when = { question: 'housing_locked', equals: 'yes' };
      assert.equal(holds(when, { benefits: ['housing'], housing_locked: 'yes' }), true);
      assert.equal(holds(when, { benefits: ['meals'], housing_locked: 'yes' }), false);
    });
  });

  describe('When a leaf compares with another answer', () => {
    it('then numbers compare with numbers', () => {
      const when = { question: 'apprentice_age', lt: { question: 'hiring_age' } };
      assert.equal(holds(when, { apprentice_age: 14, hiring_age: 16 }), true);
      assert.equal(holds(when, { apprentice_age: 16, hiring_age: 16 }), false);
      assert.equal(holds(when, { apprentice_age: 14 }), false, 'the other answer is unanswered');
    });

    it('then equals compares two answers of the same kind', () => {
      const when = { question: 'site_country', equals: { question: 'head_office_country' } };
      assert.equal(holds(when, { site_country: 'SE', head_office_country: 'SE' }), true);
      assert.equal(holds(when, { site_country: 'SE', head_office_country: 'CN' }), false);
    });

    it('then both answers are given as causes', () => {
      assert.deepEqual(causes({ question: 'apprentice_age', lt: { question: 'hiring_age' } }, { apprentice_age: 14, hiring_age: 16 }), [
        ['hiring_age', 16],
        ['apprentice_age', 14],
      ]);
    });
  });

  describe('When a leaf compares with the minimum working age of the country answered', () => {
    const when = { question: 'hiring_age', lt: { minimum_working_age_of: 'site_country' } };

    it('then the country value is used: 15 is below China’s 16, 14 is not below Bangladesh’s 14', () => {
      assert.equal(holds(when, { site_country: 'CN', hiring_age: 15 }), true);
      assert.equal(holds(when, { site_country: 'CN', hiring_age: 16 }), false);
      assert.equal(holds(when, { site_country: 'BD', hiring_age: 14 }), false);
      assert.equal(holds(when, { site_country: 'BD', hiring_age: 13 }), true);
    });

    it('then a country without a sourced value falls back to C138’s general minimum of 15, and the flag says so', () => {
      assert.equal(holds(when, { site_country: 'SE', hiring_age: 15 }), false);
      const [flag] = evaluate(when, { site_country: 'SE', hiring_age: 14 });
      assert.deepEqual(flag?.context.map((c) => [c.country, c.age, c.fallback]), [['SE', 15, true]]);
      assert.match(flag?.context[0]?.source.title ?? '', /138/);
    });

    it('then the flag holds the figure used, its source and both answers', () => {
      const [flag] = evaluate(when, { site_country: 'CN', hiring_age: 15 });
      assert.deepEqual(flag?.causes, [
        { question: 'site_country', value: 'CN' },
        { question: 'hiring_age', value: 15 },
      ]);
      assert.deepEqual(flag?.context.map((c) => [c.kind, c.question, c.country, c.age, c.fallback]), [['minimum_working_age', 'site_country', 'CN', 16, false]]);
      assert.match(flag?.context[0]?.source.url ?? '', /^https?:\/\//);
    });

    it('then an unanswered country makes the comparison false', () => {
      assert.equal(holds(when, { hiring_age: 10 }), false);
    });
  });

  describe('When conditions are combined', () => {
    it('then all needs every part and gives every part as cause', () => {
      const when = { all: [{ question: 'passports', equals: 'yes' }, { question: 'hours', gt: 60 }] };
      assert.equal(holds(when, { passports: 'yes', hours: 50 }), false);
      assert.deepEqual(causes(when, { passports: 'yes', hours: 70, fees: 'no' }), [
        ['hours', 70],
        ['passports', 'yes'],
      ]);
    });

    it('then any needs one part and gives only the parts that hold', () => {
      const when = { any: [{ question: 'passports', equals: 'yes' }, { question: 'hours', gt: 60 }] };
      assert.equal(holds(when, { passports: 'no', hours: 50 }), false);
      assert.deepEqual(causes(when, { passports: 'yes', hours: 50 }), [['passports', 'yes']]);
    });

    it('then not gives what it reads, unanswered as null', () => {
      const when = { all: [{ question: 'hiring_age', lt: 15 }, { not: { question: 'fees', equals: 'no' } }] };
      assert.deepEqual(causes(when, { hiring_age: 14 }), [
        ['hiring_age', 14],
        ['fees', null],
      ]);
    });

    const risky = [
      { question: 'passports', equals: 'yes' },
      { question: 'resign', equals: 'no' },
      { question: 'fees', equals: 'yes' },
      { question: 'hours', gt: 60 },
    ];

    it('then count with gte holds when enough parts hold, and gives those parts', () => {
      const when = { count: risky, gte: 3 };
      assert.equal(holds(when, { passports: 'yes', resign: 'no', fees: 'no', hours: 40 }), false);
      assert.deepEqual(causes(when, { passports: 'yes', resign: 'no', fees: 'yes', hours: 40 }), [
        ['fees', 'yes'],
        ['passports', 'yes'],
        ['resign', 'no'],
      ]);
    });

    it('then count with gt, lt, lte and equals compare the number of parts that hold', () => {
      const answers = { passports: 'yes', resign: 'no', fees: 'no', hours: 40 };
      assert.equal(holds({ count: risky, gt: 1 }, answers), true);
      assert.equal(holds({ count: risky, gt: 2 }, answers), false);
      assert.equal(holds({ count: risky, equals: 2 }, answers), true);
      assert.equal(holds({ count: risky, lt: 2 }, answers), false);
      assert.equal(holds({ count: risky, lte: 2 }, answers), true);
    });

    it('then count with lte gives the parts that did not hold, as their absence is the cause', () => {
      const good = [
        { question: 'passports', equals: 'no' },
        { question: 'resign', equals: 'yes' },
      ];
      assert.deepEqual(causes({ count: good, lte: 0 }, { passports: 'yes' }), [
        ['passports', 'yes'],
        ['resign', null],
      ]);
    });
  });

  describe('When a rule triggers', () => {
    it('then the flag holds the rule, its version, severity, indicators, conventions, follow-up and rationale', () => {
      const [flag] = evaluate({ question: 'fees', equals: 'yes' }, { fees: 'yes' });
      assert.deepEqual(flag, {
        ruleId: 'the_rule',
        title: t('The rule'),
        rulesKey: 'evaluator-check@1/rules@1',
        questionnaireId: 'evaluator-check',
        questionnaireVersion: 1,
        rulesVersion: 1,
        severity: 'high',
        indicators: [9, 2],
        conventions: ['C29'],
        followUp: 'desk_audit',
        rationale: t('Because.'),
        causes: [{ question: 'fees', value: 'yes' }],
        context: [],
      });
    });

    it('then evaluating the same answers again gives the same flags, and the answers are not changed', () => {
      const registry = loadQuestionnaires(FIXTURES);
      const rules = registry.currentRuleSet('supplier-check', 1)!;
      const answers = Object.freeze({ employs_migrants: 'yes', migrant_share: 45, passports_held: 'yes', weekly_hours: 70 });
      const first = evaluateRules(rules, registry.get('supplier-check', 1)!, answers, registry.countryContext);
      const second = evaluateRules(rules, registry.get('supplier-check', 1)!, answers, registry.countryContext);
      assert.deepEqual(first, second);
      assert.deepEqual(first.map((f) => f.ruleId), ['passports_retained', 'many_migrants', 'hours_over_60'], 'in rules-file order');
      first[0]!.causes.push({ question: 'x', value: 'y' });
      assert.equal(evaluateRules(rules, registry.get('supplier-check', 1)!, answers, registry.countryContext)[0]!.causes.length, 1, 'flags are copies');
    });
  });

  describe('When the rules are hostile, then evaluation refuses them naming rule and path, never crashing', () => {
    it('nesting far beyond the limit (100,000 levels) stops at the limit', () => {
      const error = loadError(() => evaluate(nested(100_000), {}));
      const problem = error.problems[0]!;
      assert.equal(problem.rule, 'the_rule');
      assert.equal(problem.path, `rules[0].when${'.not'.repeat(MAX_CONDITION_DEPTH)}`);
      assert.match(problem.message, /nested at most 8 levels/);
      assert.match(error.message, /rule the_rule at rules\[0\]\.when/);
    });

    it('a condition that contains itself is refused at the depth limit', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.not = cyclic;
      assert.match(loadError(() => evaluate(cyclic, {})).message, /nested at most 8 levels/);
    });

    it('nesting at the limit is accepted', () => {
      assert.equal(holds(nested(MAX_CONDITION_DEPTH - 1), { passports: 'no' }), true);
    });

    const cases: Array<[string, unknown, string, RegExp]> = [
      ['an unknown operator', { question: 'fees', equal: 'yes' }, 'rules[0].when', /unknown condition key "equal"/],
      ['an unknown group', { either: [{ question: 'fees', equals: 'yes' }] }, 'rules[0].when', /unknown condition key "either"/],
      ['a condition that is text', 'fees is yes', 'rules[0].when', /must be a mapping/],
      ['a condition that is a list', [1, 2], 'rules[0].when', /must be a mapping/],
      ['true instead of yes', { question: 'passports', equals: true }, 'rules[0].when.equals', /write yes or no/],
      ['a number written as text', { question: 'hours', gt: '60' }, 'rules[0].when.gt', /gt needs a number/],
      ['an answer that cannot be given', { question: 'passports', equals: 'maybe' }, 'rules[0].when', /yes or no, not "maybe"/],
      ['an unknown question', { question: 'passport', equals: 'yes' }, 'rules[0].when', /unknown question "passport"/],
      ['gt on a yes/no question', { question: 'passports', gt: 1 }, 'rules[0].when', /only work on number/],
      ['a number compared with a text answer', { question: 'hours', gt: { question: 'fees' } }, 'rules[0].when', /"fees" is single_choice; it can only be compared as a number/],
      ['a country reference to a number question', { question: 'hiring_age', lt: { minimum_working_age_of: 'hours' } }, 'rules[0].when', /needs a country question; "hours" is number/],
      ['a country reference to an unknown question', { question: 'hiring_age', lt: { minimum_working_age_of: 'country' } }, 'rules[0].when', /unknown question "country"/],
      ['an unknown kind of reference', { question: 'hiring_age', lt: { maximum_age_of: 'site_country' } }, 'rules[0].when.lt', /compare with a value, or with/],
      ['a country reference in equals', { question: 'hiring_age', equals: { minimum_working_age_of: 'site_country' } }, 'rules[0].when.equals', /\{question: question_id\}/],
      ['count without a comparison', { count: [{ question: 'fees', equals: 'yes' }] }, 'rules[0].when', /exactly one of equals, gt, gte, lt, lte/],
      ['count asking for more parts than it has', { count: [{ question: 'fees', equals: 'yes' }], gte: 2 }, 'rules[0].when.gte', /from 0 to 1/],
      ['count with a fractional number', { count: [{ question: 'fees', equals: 'yes' }, { question: 'resign', equals: 'no' }], gte: 1.5 }, 'rules[0].when.gte', /whole number/],
      ['an empty all', { all: [] }, 'rules[0].when.all', /non-empty list/],
    ];
    for (const [name, when, problemPath, message] of cases) {
      it(`${name} → ${problemPath}`, () => {
        const error = loadError(() => evaluate(when, {}));
        const found = error.problems.find((p) => p.path === problemPath && message.test(p.message));
        assert.ok(found, JSON.stringify(error.problems));
        assert.equal(found.rule, 'the_rule');
      });
    }

    it('a huge `in` list (1,000,000 values) is refused by its size', () => {
      const values = Array.from({ length: 1_000_000 }, (_, i) => `v${i}`);
      assert.match(loadError(() => evaluate({ question: 'fees', in: values }, {})).message, /in may list at most 100 values \(it has 1000000\)/);
    });

    it('a huge `any` (100,000 conditions) is refused by its size', () => {
      const members = Array.from({ length: 100_000 }, () => ({ question: 'fees', equals: 'yes' }));
      assert.match(loadError(() => evaluate({ any: members }, {})).message, /any may combine at most 50 conditions/);
    });

    it('a huge rules list (100,000 rules) is refused by its size', () => {
      const one = (ruleSetWith({ question: 'fees', equals: 'yes' }).rules as unknown[])[0];
      const data = { ...ruleSetWith({}), rules: Array.from({ length: 100_000 }, () => one) };
      assert.match(loadError(() => evaluateRules(data, definition, {}, context)).message, /at most 500 rules/);
    });

    it('wrong types in a rule are each named', () => {
      const error = loadError(() =>
        evaluateRules(ruleSetWith({ question: 'fees', equals: 'yes' }, { severity: 5, indicators: ['seven'], follow_up: 'phone_call', rationale: { sv: 'x' } }), definition, {}, context),
      );
      assert.deepEqual(error.problems.map((p) => p.path).sort(), ['rules[0].follow_up', 'rules[0].indicators[0]', 'rules[0].rationale.en', 'rules[0].severity']);
      assert.ok(error.problems.every((p) => p.rule === 'the_rule'));
    });

    it('something that is not a rules file at all is refused', () => {
      assert.match(loadError(() => evaluateRules('rm -rf /', definition, {}, context)).message, /expected object/);
      assert.match(loadError(() => evaluateRules(null, definition, {}, context)).message, /expected object/);
    });

    it('rules for another questionnaire version are refused', () => {
      const data = { ...ruleSetWith({ question: 'fees', equals: 'yes' }), questionnaire: 'evaluator-check@2' };
      assert.match(loadError(() => evaluateRules(data, definition, {}, context)).message, /for evaluator-check@2, not evaluator-check@1/);
    });
  });

  describe('When the answers are hostile, then evaluation refuses them naming the answer', () => {
    const rules = parseRuleSet(ruleSetWith({ question: 'hiring_age', lt: 15 }), definition, context, 'inline');

    function evaluationError(answers: unknown): RuleEvaluationError {
      try {
        evaluateRules(rules, definition, answers, context);
      } catch (error) {
        if (error instanceof RuleEvaluationError) return error;
        throw error;
      }
      assert.fail('no RuleEvaluationError');
    }

    it('a number stored as text', () => {
      const error = evaluationError({ hiring_age: '14' });
      assert.equal(error.path, 'answers.hiring_age');
      assert.match(error.message, /must be a number/);
    });

    it('an option the question does not have, a huge choice list, a nested object', () => {
      assert.match(evaluationError({ fees: 'perhaps' }).message, /answers\.fees: .*one of yes, no, dont_know/);
      assert.match(evaluationError({ benefits: Array.from({ length: 1_000_000 }, () => 'meals') }).message, /answers\.benefits/);
      assert.match(evaluationError({ passports: { $ne: 'no' } }).message, /answers\.passports: .*yes or no/);
    });

    it('answers that are not a mapping', () => {
      assert.equal(evaluationError([]).path, 'answers');
      assert.equal(evaluationError('yes').path, 'answers');
    });

    it('keys that are not questions, or look like object properties, are ignored', () => {
      const answers = JSON.parse('{"__proto__": {"hiring_age": 3}, "unknown": [1, 2], "hiring_age": 16}') as Answers;
      assert.deepEqual(evaluateRules(rules, definition, answers, context), []);
    });
  });

  describe('When rules come from the loader', () => {
    it('then they are trusted as checked, and frozen', () => {
      const rules = loadQuestionnaires(FIXTURES).currentRuleSet('supplier-check', 1)!;
      assert.equal(isCheckedRuleSet(rules), true);
      assert.equal(isCheckedRuleSet(JSON.parse(JSON.stringify(rules))), false);
      assert.throws(() => {
        (rules.rules[0] as { severity: string }).severity = 'low';
      }, TypeError);
    });
  });
});

describe('Checking rule examples', () => {
  it('When an example does not behave as it says, then it is reported', () => {
    const rules = parseRuleSet(
      ruleSetWith({ question: 'hours', gt: 60 }, { examples: { triggers: [{ hours: 61 }, { hours: 50 }], does_not_trigger: [{ hours: 40 }, { hours: 70 }] } }),
      definition,
      context,
      'inline',
    );
    assert.deepEqual(checkRuleExamples(rules, definition, context), [
      { rule: 'the_rule', kind: 'triggers', index: 1 },
      { rule: 'the_rule', kind: 'does_not_trigger', index: 1 },
    ]);
  });
});

describe('Comparing two rules versions', () => {
  it('When version 2 changes, adds and removes rules, then the diff names each', () => {
    const registry = loadQuestionnaires(FIXTURES);
    const diff = diffRuleSets(registry.ruleSet('supplier-check', 1, 1)!, registry.ruleSet('supplier-check', 1, 2)!);
    assert.equal(diff.from, 'supplier-check@1/rules@1');
    assert.equal(diff.to, 'supplier-check@1/rules@2');
    assert.deepEqual(diff.added.map((r) => r.id), ['dormitory_locked_at_night']);
    assert.deepEqual(diff.removed.map((r) => r.id), ['hours_over_60']);
    assert.deepEqual(diff.changed.map((c) => [c.id, c.fields]), [['many_migrants', ['when', 'examples']]]);
    assert.deepEqual(diff.unchanged, ['passports_retained']);
  });
});
