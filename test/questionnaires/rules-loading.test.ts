import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  QuestionnaireLoadError,
  loadQuestionnaires,
  parseRuleSet,
  ruleSetHash,
  type QuestionnaireDefinition,
} from '../../src/questionnaires';

const VALID = path.join(__dirname, 'fixtures', 'valid');
const RULES_1 = fs.readFileSync(path.join(VALID, 'rules', 'supplier-check@1', 'rules@1.yaml'), 'utf8');
const QUESTIONNAIRE = fs.readFileSync(path.join(VALID, 'supplier-check@1.yaml'), 'utf8');
const CONTEXT = fs.readFileSync(path.join(VALID, 'context', 'minimum-working-age.yaml'), 'utf8');

const folders: string[] = [];

/** A questionnaires folder in a temporary directory: the valid supplier-check@1 plus `files` (relative path → text). */
function folderWith(files: Record<string, string>, options: { questionnaire?: boolean } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssa-rules-'));
  folders.push(dir);
  const all = { ...(options.questionnaire === false ? {} : { 'supplier-check@1.yaml': QUESTIONNAIRE }), ...files };
  for (const [file, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

function loadError(dir: string): QuestionnaireLoadError {
  try {
    loadQuestionnaires(dir);
  } catch (error) {
    if (error instanceof QuestionnaireLoadError) return error;
    throw error;
  }
  assert.fail('loaded without error');
}

const RULES_PATH = 'rules/supplier-check@1/rules@1.yaml';

after(() => {
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Loading rules files', () => {
  describe('When a questionnaire version has rules beside it', () => {
    const registry = loadQuestionnaires(VALID);

    it('then every rules version loads, oldest first, drafts included', () => {
      assert.deepEqual(registry.ruleSets('supplier-check', 1).map((r) => `${r.version}:${r.status}`), ['1:published', '2:draft']);
      assert.deepEqual(registry.ruleSets('supplier-check', 2), []);
      assert.equal(registry.ruleSet('supplier-check', 1, 2)?.rules.length, 3);
      assert.equal(registry.ruleSet('supplier-check', 1, 3), undefined);
    });

    it('then the current rules are the newest published version, drafts only when asked for', () => {
      assert.equal(registry.currentRuleSet('supplier-check', 1)?.version, 1);
      assert.equal(registry.currentRuleSet('supplier-check', 1, { includeDrafts: true })?.version, 2);
      assert.equal(registry.currentRuleSet('unknown', 1), undefined);
    });

    it('then indicators and conventions default to none and examples are kept', () => {
      const rule = registry.ruleSet('supplier-check', 1, 1)!.rules.find((r) => r.id === 'hours_over_60')!;
      assert.deepEqual(rule.conventions, []);
      assert.deepEqual(rule.examples.triggers, [{ weekly_hours: 60.5 }]);
    });

    it('then the country context of the folder is loaded', () => {
      assert.equal(registry.countryContext.loaded, true);
      assert.equal(registry.countryContext.minimumWorkingAge('CN').age, 16);
    });
  });

  describe('When a folder has no rules', () => {
    it('then the questionnaires load without any, and every country gets the general minimum', () => {
      const registry = loadQuestionnaires(folderWith({}));
      assert.deepEqual(registry.ruleSets('supplier-check', 1), []);
      assert.equal(registry.countryContext.loaded, false);
      assert.deepEqual(registry.countryContext.minimumWorkingAge('CN'), {
        country: 'CN',
        age: 15,
        fallback: true,
        source: registry.countryContext.minimumWorkingAge('SE').source,
      });
    });
  });

  describe('When a rules file or folder is broken, then loading stops naming the file and the problem', () => {
    const cases: Array<[name: string, files: Record<string, string>, file: string, problem: RegExp]> = [
      ['rules for a questionnaire that is not there', { 'rules/supplier-check@9/rules@1.yaml': RULES_1 }, 'rules/supplier-check@9', /no questionnaire supplier-check@9.*loaded: supplier-check@1/],
      ['a folder not named <id>@<version>', { 'rules/supplier-check/rules@1.yaml': RULES_1 }, 'rules/supplier-check', /named after its questionnaire version/],
      ['a rules file directly in rules/', { 'rules/rules@1.yaml': RULES_1 }, 'rules/rules@1.yaml', /in a folder named after their questionnaire version/],
      ['a rules file not named rules@<n>.yaml', { 'rules/supplier-check@1/first.yaml': RULES_1 }, 'rules/supplier-check@1/first.yaml', /named rules@<version>\.yaml/],
      ['a file name that disagrees with the version inside', { 'rules/supplier-check@1/rules@2.yaml': RULES_1 }, 'rules/supplier-check@1/rules@2.yaml', /says version 1; name it rules@1\.yaml/],
      ['rules that name another questionnaire', { [RULES_PATH]: RULES_1.replace('questionnaire: supplier-check@1', 'questionnaire: other-check@1') }, RULES_PATH, /for other-check@1, not supplier-check@1/],
      ['the same version twice', { [RULES_PATH]: RULES_1, 'rules/supplier-check@1/rules@1.yml': RULES_1 }, 'rules/supplier-check@1/rules@1.yml', /also defined in rules\/supplier-check@1\/rules@1\.yaml/],
      ['a YAML syntax error', { [RULES_PATH]: `${RULES_1}\n  - id: [unclosed\n` }, RULES_PATH, /YAML syntax/],
      ['YAML aliases', { [RULES_PATH]: RULES_1.replace("when: { question: weekly_hours, gt: 60 }", 'when: &hours { question: weekly_hours, gt: 60 }\n    rationale_when: *hours') }, RULES_PATH, /aliases \(\*name\) are not allowed/],
      [
        'a country comparison without the country data file',
        {
          [RULES_PATH]: RULES_1.replace('when: { question: weekly_hours, gt: 60 }', 'when: { question: workers, lt: { minimum_working_age_of: country } }').replace(
            'triggers: [{ weekly_hours: 60.5 }]\n      does_not_trigger: [{ weekly_hours: 60 }]',
            "triggers: [{ country: CN, workers: 10 }]\n      does_not_trigger: [{ country: CN, workers: 20 }]",
          ),
        },
        RULES_PATH,
        /minimum_working_age_of needs the country data file context\/minimum-working-age\.yaml/,
      ],
      ['a broken country data file', { 'context/minimum-working-age.yaml': CONTEXT.replace('country: CN', 'country: XX') }, 'context/minimum-working-age.yaml', /countries\[0\]\.country: must be an ISO 3166-1/],
    ];
    for (const [name, files, file, problem] of cases) {
      it(name, () => {
        const error = loadError(folderWith(files));
        assert.equal(error.file, file);
        assert.match(error.message, problem);
      });
    }
  });

  describe('When rules are published', () => {
    const hashes = (entries: Record<string, unknown>) => JSON.stringify(entries);
    const questionnaireHash = JSON.parse(fs.readFileSync(path.join(VALID, 'published-hashes.json'), 'utf8'))['supplier-check@1'] as string;

    it('then their hash must be recorded, and the message gives the line to add', () => {
      const error = loadError(folderWith({ [RULES_PATH]: RULES_1, 'published-hashes.json': hashes({ 'supplier-check@1': questionnaireHash }) }));
      assert.equal(error.file, RULES_PATH);
      assert.match(error.message, /published supplier-check@1\/rules@1 has no recorded hash; add "supplier-check@1\/rules@1": "[0-9a-f]{64}"/);
    });

    it('then a published rules file changed in place stops start-up', () => {
      const recorded = JSON.parse(fs.readFileSync(path.join(VALID, 'published-hashes.json'), 'utf8')) as Record<string, string>;
      const error = loadError(folderWith({ [RULES_PATH]: RULES_1.replace('severity: high', 'severity: medium'), 'published-hashes.json': hashes(recorded) }));
      assert.match(error.message, /published supplier-check@1\/rules@1 was changed after publication.*new version/);
    });

    it('then a draft rules file needs no hash', () => {
      const draft = RULES_1.replace('status: published', 'status: draft');
      assert.equal(loadQuestionnaires(folderWith({ [RULES_PATH]: draft, 'published-hashes.json': hashes({ 'supplier-check@1': questionnaireHash }) })).ruleSets('supplier-check', 1).length, 1);
    });

    it('then the hash covers every field, examples included', () => {
      const registry = loadQuestionnaires(VALID);
      const rules = registry.ruleSet('supplier-check', 1, 1)!;
      const copy = JSON.parse(JSON.stringify(rules)) as typeof rules;
      copy.rules[2]!.examples.triggers = [{ weekly_hours: 61 }];
      assert.notEqual(ruleSetHash(copy), ruleSetHash(rules));
    });
  });

  describe('When published-hashes.json records an earlier hash of the same questions', () => {
    it('then responses recording either hash answered that version, and no other hash is accepted', () => {
      const registry = loadQuestionnaires(VALID);
      const current = JSON.parse(fs.readFileSync(path.join(VALID, 'published-hashes.json'), 'utf8'))['supplier-check@1'] as string;
      const earlier = 'a'.repeat(64);
      const folder = folderWith({ 'published-hashes.json': JSON.stringify({ 'supplier-check@1': { hash: current, earlier: [{ hash: earlier, reason: 'Red flags moved out.' }] } }) });
      const withEarlier = loadQuestionnaires(folder);
      assert.equal(withEarlier.isDefinitionHash('supplier-check', 1, current), true);
      assert.equal(withEarlier.isDefinitionHash('supplier-check', 1, earlier), true);
      assert.equal(withEarlier.isDefinitionHash('supplier-check', 1, 'b'.repeat(64)), false);
      assert.equal(withEarlier.isDefinitionHash('supplier-check', 2, current), false);
      assert.equal(registry.isDefinitionHash('supplier-check', 1, earlier), false);
    });

    it('then an earlier hash without a reason is refused', () => {
      const current = JSON.parse(fs.readFileSync(path.join(VALID, 'published-hashes.json'), 'utf8'))['supplier-check@1'] as string;
      const error = loadError(folderWith({ 'published-hashes.json': JSON.stringify({ 'supplier-check@1': { hash: current, earlier: [{ hash: 'a'.repeat(64) }] } }) }));
      assert.equal(error.file, 'published-hashes.json');
      assert.match(error.message, /supplier-check@1: must be a sha256 hex hash/);
    });
  });

  describe('When a rule does not fit its questionnaire, then the problem names the rule and the path', () => {
    const registry = loadQuestionnaires(VALID);
    const definition: QuestionnaireDefinition = registry.get('supplier-check', 1)!;
    const base = parseYaml(RULES_1) as { rules: Array<Record<string, unknown>> };

    function problemsOf(change: (data: { rules: Array<Record<string, unknown>> }) => void) {
      const data = structuredClone(base);
      change(data);
      try {
        parseRuleSet(data, definition, registry.countryContext, 'rules@1.yaml');
      } catch (error) {
        if (error instanceof QuestionnaireLoadError) return error.problems;
        throw error;
      }
      assert.fail('parsed without error');
    }

    const cases: Array<[name: string, change: (data: { rules: Array<Record<string, unknown>> }) => void, rule: string | undefined, problemPath: string, problem: RegExp]> = [
      ['two rules with one id', (d) => void (d.rules[1]!.id = 'passports_retained'), 'passports_retained', 'rules[1].id', /duplicate rule id "passports_retained"/],
      ['an id that is not snake_case', (d) => void (d.rules[0]!.id = 'Passports Retained'), 'Passports Retained', 'rules[0].id', /snake_case/],
      ['an indicator out of range', (d) => void (d.rules[0]!.indicators = [12]), 'passports_retained', 'rules[0].indicators[0]', /1 to 11/],
      ['an unknown convention', (d) => void (d.rules[0]!.conventions = ['C999']), 'passports_retained', 'rules[0].conventions[0]', /C29/],
      ['an unknown severity', (d) => void (d.rules[0]!.severity = 'urgent'), 'passports_retained', 'rules[0].severity', /critical.*low/],
      ['an unknown follow-up', (d) => void (d.rules[0]!.follow_up = 'phone_call'), 'passports_retained', 'rules[0].follow_up', /desk_review.*unannounced_on_site_audit/],
      ['a missing English rationale', (d) => void delete (d.rules[0]!.rationale as Record<string, unknown>).en, 'passports_retained', 'rules[0].rationale.en', /is required/],
      ['no example that must not trigger', (d) => void ((d.rules[0]!.examples as Record<string, unknown>).does_not_trigger = []), 'passports_retained', 'rules[0].examples.does_not_trigger', /at least one answer set that does not trigger/],
      [
        'an example answering a question that does not exist',
        (d) => void ((d.rules[0]!.examples as Record<string, unknown>).triggers = [{ passport: 'yes' }]),
        'passports_retained',
        'rules[0].examples.triggers[0].passport',
        /"passport" is not a question of supplier-check@1/,
      ],
      [
        'an example with an answer the question cannot have',
        (d) => void ((d.rules[0]!.examples as Record<string, unknown>).triggers = [{ employs_migrants: 'yes', migrant_share: 140, passports_held: 'yes' }]),
        'passports_retained',
        'rules[0].examples.triggers[0].migrant_share',
        /not a valid answer to "migrant_share" \(percentage\): must be at most 100/,
      ],
      [
        'an example answering a question its own answers hide',
        (d) => void ((d.rules[0]!.examples as Record<string, unknown>).triggers = [{ passports_held: 'yes' }]),
        'passports_retained',
        'rules[0].examples.triggers[0].passports_held',
        /"passports_held" is not shown with these answers/,
      ],
      [
        'a tagged indicator no rule reading the question carries',
        (d) => void (d.rules[0]!.indicators = []),
        'passports_retained',
        'rules[0]',
        /question "passports_held" is tagged with indicator 7, but none of the rules reading it \(passports_retained\) carries it/,
      ],
      ['a tagged convention no rule carries', (d) => void (d.rules[0]!.conventions = []), 'passports_retained', 'rules[0]', /tagged with convention C29/],
      ['a tagged question no rule reads', (d) => void d.rules.splice(1, 1), undefined, 'rules', /question "employs_migrants" is tagged with indicator 1, but no rule reads it/],
    ];
    for (const [name, change, rule, problemPath, problem] of cases) {
      it(name, () => {
        const problems = problemsOf(change);
        const found = problems.find((p) => p.path === problemPath && problem.test(p.message));
        assert.ok(found, `expected ${problemPath} ${problem}, got ${JSON.stringify(problems)}`);
        assert.equal(found.rule, rule);
      });
    }
  });
});
