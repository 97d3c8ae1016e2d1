/**
 * Every example of every shipped rule, as its own test: an answer set a rule documents as triggering it must trigger
 * it, and one documented as not triggering it must not.
 */
import assert from 'node:assert/strict';
import { evaluateRules, ruleSetKey, type Answers } from '../../src/questionnaires';
import { shippedQuestionnaires } from '../helpers/app';

const registry = shippedQuestionnaires();

function describeAnswers(answers: Answers): string {
  const text = Object.entries(answers)
    .map(([id, value]) => `${id}=${Array.isArray(value) ? `[${value.map((v) => (typeof v === 'string' ? v : 'file')).join(',')}]` : String(value)}`)
    .join(', ');
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

for (const definition of registry.list()) {
  for (const ruleSet of registry.ruleSets(definition.id, definition.version)) {
    describe(`Rules ${ruleSetKey(ruleSet)} (${ruleSet.status})`, () => {
      for (const rule of ruleSet.rules) {
        describe(rule.id, () => {
          rule.examples.triggers.forEach((answers, i) => {
            it(`When ${describeAnswers(answers)}, then ${rule.id} is triggered (example ${i + 1})`, () => {
              const flags = evaluateRules(ruleSet, definition, answers, registry.countryContext);
              const flag = flags.find((f) => f.ruleId === rule.id);
              assert.ok(flag, `triggered instead: ${flags.map((f) => f.ruleId).join(', ') || 'nothing'}`);
              assert.ok(flag.causes.length > 0, 'a triggered flag names the answers that caused it');
            });
          });
          rule.examples.does_not_trigger.forEach((answers, i) => {
            it(`When ${describeAnswers(answers)}, then ${rule.id} is not triggered (example ${i + 1})`, () => {
              const flags = evaluateRules(ruleSet, definition, answers, registry.countryContext);
              assert.equal(flags.some((f) => f.ruleId === rule.id), false);
            });
          });
        });
      }

      it('When a rule’s title and rationale are read, then they exist in Swedish and English, and differ', () => {
        for (const rule of ruleSet.rules) {
          assert.notEqual(rule.title.sv, rule.title.en, `${rule.id} title`);
          assert.notEqual(rule.rationale.sv, rule.rationale.en, `${rule.id} rationale`);
        }
      });
    });
  }
}
