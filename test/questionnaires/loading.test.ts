import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  CONVENTIONS,
  EVIDENCE_KINDS,
  QUESTION_TYPES,
  QuestionnaireLoadError,
  TOPICS,
  allQuestions,
  definitionHash,
  loadQuestionnaires,
  parseDefinition,
  type Question,
} from '../../src/questionnaires';

const FIXTURES = path.join(__dirname, 'fixtures');
const VALID = path.join(FIXTURES, 'valid');

function loadError(dir: string): QuestionnaireLoadError {
  try {
    loadQuestionnaires(path.join(FIXTURES, 'broken', dir));
  } catch (error) {
    if (error instanceof QuestionnaireLoadError) return error;
    throw error;
  }
  assert.fail(`${dir} loaded without error`);
}

describe('Loading questionnaire definitions', () => {
  describe('When the folder holds valid definitions', () => {
    const registry = loadQuestionnaires(VALID);

    it('then every id@version is available and listed in order', () => {
      assert.deepEqual(
        registry.list().map((d) => `${d.id}@${d.version}:${d.status}`),
        ['supplier-check@1:published', 'supplier-check@2:draft'],
      );
      assert.equal(registry.get('supplier-check', 2)?.version, 2);
      assert.equal(registry.get('supplier-check', 3), undefined);
      assert.equal(registry.get('unknown', 1), undefined);
    });

    it('then latest gives the newest published version, and drafts only when asked for', () => {
      assert.equal(registry.latest('supplier-check')?.version, 1);
      assert.equal(registry.latest('supplier-check', { includeDrafts: true })?.version, 2);
      assert.equal(registry.latest('unknown'), undefined);
    });

    it('then defaults are filled in: required false, text lengths, evidence limits', () => {
      const definition = registry.get('supplier-check', 1)!;
      const byId = new Map<string, Question>(allQuestions(definition).map((q) => [q.id, q]));
      assert.equal(byId.get('founded')?.required, false);
      const weekly = byId.get('weekly_hours');
      assert.equal(weekly?.type, 'number');
      const photos = byId.get('housing_photos');
      assert.ok(photos?.type === 'evidence');
      assert.deepEqual(photos.evidence.accept, ['jpeg', 'png']);
      assert.equal(photos.evidence.maxBytes, 1048576);
      const storage = byId.get('passport_storage');
      assert.ok(storage?.type === 'long_text');
      assert.equal(storage.maxLength, 100);
    });

    it('then a loaded definition cannot be changed by the code using it', () => {
      const definition = registry.get('supplier-check', 1)!;
      assert.throws(() => {
        (definition as { version: number }).version = 9;
      }, TypeError);
      assert.throws(() => {
        (definition.sections[0]!.questions[0]!.label as { en: string }).en = 'changed';
      }, TypeError);
    });

    it('then the definition hash is stable and matches the recorded published hash', () => {
      const definition = registry.get('supplier-check', 1)!;
      assert.match(definitionHash(definition), /^[0-9a-f]{64}$/);
      assert.equal(definitionHash(definition), definitionHash(loadQuestionnaires(VALID).get('supplier-check', 1)!));
      assert.notEqual(definitionHash(definition), definitionHash(registry.get('supplier-check', 2)!));
    });
  });

  describe('When the same data is written with keys in another order', () => {
    it('then the hash is the same, and any change of content changes it', () => {
      const base = {
        id: 'tiny',
        version: 1,
        status: 'draft',
        title: { sv: 'Liten', en: 'Tiny' },
        sections: [{ id: 's', title: { sv: 'S', en: 'S' }, questions: [{ id: 'q', type: 'yes_no', label: { sv: 'F?', en: 'Q?' } }] }],
      };
      const reordered = {
        sections: [{ questions: [{ label: { en: 'Q?', sv: 'F?' }, type: 'yes_no', id: 'q' }], title: { en: 'S', sv: 'S' }, id: 's' }],
        title: { en: 'Tiny', sv: 'Liten' },
        status: 'draft',
        version: 1,
        id: 'tiny',
      };
      const changed = { ...base, title: { sv: 'Liten', en: 'Small' } };
      assert.equal(definitionHash(parseDefinition(base, 'a')), definitionHash(parseDefinition(reordered, 'b')));
      assert.notEqual(definitionHash(parseDefinition(base, 'a')), definitionHash(parseDefinition(changed, 'c')));
    });
  });

  describe('When a file is broken, then loading stops naming file, path and problem', () => {
    const cases: Array<[dir: string, file: string, path: string, problem: RegExp]> = [
      ['yaml-syntax', 'supplier-check@1.yaml', '', /YAML syntax: .*line 5, column 6/],
      ['missing-swedish', 'supplier-check@1.yaml', 'sections[0].questions[1].label.sv', /Swedish \(sv\) text is missing/],
      ['missing-english-option', 'supplier-check@1.yaml', 'sections[1].questions[5].options[1].label.en', /English \(en\) text is missing/],
      ['empty-text', 'supplier-check@1.yaml', 'sections[0].questions[0].label.en', /English \(en\) text is empty/],
      ['unknown-type', 'supplier-check@1.yaml', 'sections[0].questions[1].type', /yes_no.*evidence/],
      ['unknown-key', 'supplier-check@1.yaml', 'sections[1].questions[1]', /Unrecognized key: "showif"/],
      ['bad-question-id', 'supplier-check@1.yaml', 'sections[1].questions[4].id', /snake_case/],
      ['duplicate-question-id', 'supplier-check@1.yaml', 'sections[1].questions[3].id', /duplicate question id "company_name"/],
      ['duplicate-section-id', 'supplier-check@1.yaml', 'sections[2].id', /duplicate section id "profile"/],
      ['duplicate-option-id', 'supplier-check@1.yaml', 'sections[1].questions[5].options[1].id', /duplicate option id "housing"/],
      ['one-option', 'supplier-check@1.yaml', 'sections[1].questions[6].options', /at least 2 options/],
      ['condition-unknown-question', 'supplier-check@1.yaml', 'sections[1].questions[3].show_if', /unknown question "passport_held"/],
      ['condition-later-question', 'supplier-check@1.yaml', 'sections[1].questions[1].show_if', /later question \("weekly_hours"\)/],
      ['condition-self-reference', 'supplier-check@1.yaml', 'sections[1].questions[3].show_if', /cannot depend on itself/],
      ['condition-unknown-option', 'supplier-check@1.yaml', 'sections[1].questions[6].show_if.not', /"car" is not an option of "benefits"/],
      ['condition-bad-operator', 'supplier-check@1.yaml', 'sections[1].questions[1].show_if', /unknown condition key "equal"/],
      ['condition-two-operators', 'supplier-check@1.yaml', 'sections[1].questions[1].show_if', /exactly one of/],
      ['condition-missing-question', 'supplier-check@1.yaml', 'sections[1].questions[1].show_if.question', /does not say which question/],
      ['condition-yes-no-value', 'supplier-check@1.yaml', 'sections[1].questions[1].show_if', /yes or no, not "maybe"/],
      ['condition-boolean-value', 'supplier-check@1.yaml', 'sections[1].questions[1].show_if.equals', /write yes or no/],
      ['condition-includes-on-single', 'supplier-check@1.yaml', 'sections[1].questions[1].show_if', /includes only works on a multiple_choice/],
      ['condition-gt-on-yes-no', 'supplier-check@1.yaml', 'sections[1].questions[2].show_if.all[1]', /only work on number/],
      ['condition-empty-all', 'supplier-check@1.yaml', 'sections[1].questions[2].show_if.all', /non-empty list/],
      ['condition-not-a-mapping', 'supplier-check@1.yaml', 'sections[1].questions[1].show_if', /must be a mapping/],
      ['section-condition-same-section', 'supplier-check@1.yaml', 'sections[2].show_if', /earlier sections/],
      ['red-flags-in-questionnaire', 'supplier-check@1.yaml', 'sections[1].questions[2].red_flags', /no longer part of a questionnaire.*rules\/<id>@<version>\/rules@<n>\.yaml/],
      ['condition-count-in-show-if', 'supplier-check@1.yaml', 'sections[1].questions[2].show_if', /count can only be used in rules/],
      ['condition-too-deep', 'supplier-check@1.yaml', 'sections[1].questions[2].show_if.not.not.not.not.not.not.not.not', /nested at most 8 levels/],
      ['indicator-out-of-range', 'supplier-check@1.yaml', 'sections[1].questions[2].tags.indicators[0]', /1 to 11/],
      ['unknown-convention', 'supplier-check@1.yaml', 'sections[1].questions[2].tags.conventions[0]', /C29/],
      ['percentage-bounds', 'supplier-check@1.yaml', 'sections[1].questions[1].max', /between 0 and 100/],
      ['min-above-max', 'supplier-check@1.yaml', 'sections[0].questions[2].min', /min is greater than max/],
      ['bad-date-bound', 'supplier-check@1.yaml', 'sections[0].questions[3].min', /ISO date/],
      ['evidence-kind', 'supplier-check@1.yaml', 'sections[2].questions[1].evidence.accept[1]', /pdf.*xlsx/],
      ['version-not-integer', 'supplier-check@1.yaml', 'version', /whole number/],
      ['bad-status', 'supplier-check@1.yaml', 'status', /published.*draft/],
      ['file-name-mismatch', 'supplier-check@3.yaml', '', /must be named supplier-check@1\.yaml/],
      ['duplicate-version', 'supplier-check@1.yml', '', /supplier-check@1 is also defined in supplier-check@1\.yaml/],
      ['published-changed', 'supplier-check@1.yaml', '', /changed after publication.*new version/],
      ['published-unrecorded', 'supplier-check@1.yaml', '', /no recorded hash; add "supplier-check@1": "[0-9a-f]{64}" to published-hashes\.json/],
    ];
    for (const [dir, file, problemPath, problem] of cases) {
      it(`${dir}: ${problemPath || file}`, () => {
        const error = loadError(dir);
        assert.equal(path.basename(error.file), file);
        const found = error.problems.find((p) => p.path === problemPath && problem.test(p.message));
        assert.ok(found, `expected ${problemPath} ${problem}, got ${JSON.stringify(error.problems)}`);
        assert.ok(error.message.includes(file), 'the message names the file');
      });
    }

    it('a folder without definitions is refused', () => {
      assert.match(loadError('no-definitions').message, /no questionnaire definitions/);
    });

    it('a folder that does not exist is refused', () => {
      assert.throws(() => loadQuestionnaires(path.join(FIXTURES, 'does-not-exist')), /folder does not exist/);
    });
  });

  describe('When parsing data directly', () => {
    it('then `required: yes` is refused with a hint to write true or false', () => {
      const data = {
        id: 'tiny',
        version: 1,
        status: 'draft',
        title: { sv: 'Liten', en: 'Tiny' },
        sections: [{ id: 's', title: { sv: 'S', en: 'S' }, questions: [{ id: 'q', type: 'yes_no', required: 'yes', label: { sv: 'F?', en: 'Q?' } }] }],
      };
      assert.throws(() => parseDefinition(data, 'inline'), /sections\[0\]\.questions\[0\]\.required: write true or false/);
    });

    it('then every problem of a file is reported at once, not only the first', () => {
      const data = {
        id: 'Bad Id',
        version: 0,
        status: 'draft',
        title: { sv: 'T' },
        sections: [],
      };
      try {
        parseDefinition(data, 'inline');
        assert.fail('parsed');
      } catch (error) {
        assert.ok(error instanceof QuestionnaireLoadError);
        assert.deepEqual(error.problems.map((p) => p.path).sort(), ['id', 'sections', 'title.en', 'version']);
      }
    });
  });

  describe('When a buyer reads questionnaires/README.md', () => {
    it('then every topic and convention a file may use is listed there', () => {
      const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'questionnaires', 'README.md'), 'utf8');
      for (const name of [...TOPICS, ...CONVENTIONS, ...QUESTION_TYPES, ...EVIDENCE_KINDS]) assert.ok(readme.includes(name), name);
    });
  });

  describe('When a buyer copies the example from questionnaires/README.md', () => {
    it('then it loads as it stands', () => {
      const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'questionnaires', 'README.md'), 'utf8');
      const example = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
      assert.ok(example, 'the README has a YAML example');
      const definition = parseDefinition(parseYaml(example), 'README.md');
      assert.equal(`${definition.id}@${definition.version}`, 'supplier-check@1');
      assert.deepEqual(
        allQuestions(definition).map((q) => q.type),
        ['yes_no', 'yes_no', 'number', 'evidence'],
      );
    });
  });
});
