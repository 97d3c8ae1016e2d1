import assert from 'node:assert/strict';
import path from 'node:path';
import {
  COUNTRY_CODES,
  allQuestions,
  countryOptions,
  loadQuestionnaires,
  parseAnswer,
  parseLocaleNumber,
  type AnswerError,
  type Locale,
  type ParsedAnswer,
  type Question,
} from '../../src/questionnaires';
import en from '../../src/platform/i18n/locales/en/questionnaire.json';
import sv from '../../src/platform/i18n/locales/sv/questionnaire.json';

const definition = loadQuestionnaires(path.join(__dirname, 'fixtures', 'valid')).get('supplier-check', 1)!;

function question(id: string): Question {
  const found = allQuestions(definition).find((q) => q.id === id);
  if (!found) throw new Error(`no question ${id}`);
  return found;
}

/** Every error produced in this file, checked at the end against both translation files. */
const seenErrors: AnswerError[] = [];

function parse(id: string, raw: unknown, locale: Locale = 'en'): ParsedAnswer {
  const result = parseAnswer(question(id), raw, locale, { today: '2026-11-26' });
  if (!result.ok) seenErrors.push(result.error);
  return result;
}

function value(id: string, raw: unknown, locale: Locale = 'en'): unknown {
  const result = parse(id, raw, locale);
  assert.ok(result.ok, `expected ${JSON.stringify(raw)} to be accepted, got ${JSON.stringify(result)}`);
  return result.value;
}

function error(id: string, raw: unknown, locale: Locale = 'en'): AnswerError {
  const result = parse(id, raw, locale);
  assert.ok(!result.ok, `expected ${JSON.stringify(raw)} to be refused, got ${JSON.stringify(result)}`);
  return result.error;
}

const NBSP = '\u00a0';

describe('Parsing answers', () => {
  describe('When the input is empty', () => {
    for (const q of allQuestions(definition)) {
      it(`then ${q.type} "${q.id}" is unanswered, not an error`, () => {
        for (const raw of [undefined, null, '', '   ', [], ['', ' ']]) assert.deepEqual(parse(q.id, raw), { ok: true, value: undefined });
      });
    }
  });

  describe('yes/no', () => {
    it('accepts yes and no from forms, in any case, and booleans from JSON', () => {
      assert.equal(value('employs_migrants', 'yes'), 'yes');
      assert.equal(value('employs_migrants', ' NO '), 'no');
      assert.equal(value('employs_migrants', ['yes']), 'yes');
      assert.equal(value('employs_migrants', true), 'yes');
      assert.equal(value('employs_migrants', false), 'no');
    });
    it('refuses anything else', () => {
      assert.equal(error('employs_migrants', 'maybe').key, 'questionnaire:errors.yesNo');
      assert.equal(error('employs_migrants', ['yes', 'no']).key, 'questionnaire:errors.yesNo');
      assert.equal(error('employs_migrants', 1).key, 'questionnaire:errors.yesNo');
    });
  });

  describe('single choice', () => {
    it('accepts one option id', () => {
      assert.equal(value('contract_type', 'permanent'), 'permanent');
      assert.equal(value('contract_type', ['temporary']), 'temporary');
    });
    it('refuses unknown ids and several choices', () => {
      assert.equal(error('contract_type', 'forever').key, 'questionnaire:errors.unknownOption');
      assert.equal(error('contract_type', ['permanent', 'temporary']).key, 'questionnaire:errors.singleChoice');
    });
  });

  describe('multiple choice', () => {
    it('accepts one or several option ids, without duplicates, in the order of the definition', () => {
      assert.deepEqual(value('benefits', 'meals'), ['meals']);
      assert.deepEqual(value('benefits', ['meals', 'housing', 'meals']), ['housing', 'meals']);
    });
    it('refuses unknown ids and non-text values', () => {
      assert.equal(error('benefits', ['meals', 'car']).key, 'questionnaire:errors.unknownOption');
      assert.equal(error('benefits', [1]).key, 'questionnaire:errors.unknownOption');
    });
    it('refuses an exclusive option combined with others, naming it in the chosen language', () => {
      assert.deepEqual(error('benefits', ['none', 'meals'], 'en'), { key: 'questionnaire:errors.exclusiveOption', params: { option: 'None' } });
      assert.deepEqual(error('benefits', ['none', 'meals'], 'sv').params, { option: 'Inga' });
      assert.deepEqual(value('benefits', ['none']), ['none']);
    });
  });

  describe('integer', () => {
    it('reads Swedish numbers with space, no-break space or narrow space as thousands separator', () => {
      assert.equal(value('workers', '1 234', 'sv'), 1234);
      assert.equal(value('workers', `1${NBSP}234`, 'sv'), 1234);
      assert.equal(value('workers', '1\u202f234', 'sv'), 1234);
      assert.equal(value('workers', '12 345', 'sv'), 12345);
    });
    it('reads English numbers with comma thousands', () => {
      assert.equal(value('workers', '1,234', 'en'), 1234);
      assert.equal(value('workers', '12,345', 'en'), 12345);
      assert.equal(value('workers', 42, 'en'), 42);
    });
    it('refuses fractions, badly grouped digits and text, with an example in the locale', () => {
      assert.deepEqual(error('workers', '12,5', 'sv'), { key: 'questionnaire:errors.integer', params: { example: `1${NBSP}250` } });
      assert.deepEqual(error('workers', '12.5', 'en'), { key: 'questionnaire:errors.integer', params: { example: '1,250' } });
      assert.equal(error('workers', '12 34', 'sv').key, 'questionnaire:errors.integer');
      assert.equal(error('workers', '1,2345', 'en').key, 'questionnaire:errors.integer');
      assert.equal(error('workers', 'many', 'en').key, 'questionnaire:errors.integer');
      assert.equal(error('workers', Number.NaN, 'en').key, 'questionnaire:errors.integer');
    });
    it('enforces the bounds, formatted in the locale', () => {
      assert.deepEqual(error('workers', '0', 'en'), { key: 'questionnaire:errors.tooSmall', params: { min: '1' } });
      assert.deepEqual(error('workers', '200 000', 'sv'), { key: 'questionnaire:errors.tooLarge', params: { max: `100${NBSP}000` } });
      assert.deepEqual(error('workers', '200,000', 'en').params, { max: '100,000' });
    });
  });

  describe('number', () => {
    it('reads comma decimals in Swedish (and a point, which some keyboards only offer)', () => {
      assert.equal(value('weekly_hours', '37,5', 'sv'), 37.5);
      assert.equal(value('weekly_hours', '37.5', 'sv'), 37.5);
    });
    it('reads point decimals in English and refuses a decimal comma there', () => {
      assert.equal(value('weekly_hours', '37.5', 'en'), 37.5);
      assert.equal(error('weekly_hours', '37,5', 'en').key, 'questionnaire:errors.number');
    });
    it('enforces the step and the bounds', () => {
      assert.deepEqual(error('weekly_hours', '37,3', 'sv'), { key: 'questionnaire:errors.step', params: { step: '0,5' } });
      assert.equal(error('weekly_hours', '-1', 'en').key, 'questionnaire:errors.tooSmall');
      assert.equal(error('weekly_hours', '\u22121', 'sv').key, 'questionnaire:errors.tooSmall');
      assert.equal(error('weekly_hours', '169', 'en').key, 'questionnaire:errors.tooLarge');
    });
  });

  describe('percentage', () => {
    it('accepts 0 to 100 with or without a percent sign', () => {
      assert.equal(value('migrant_share', '45 %', 'sv'), 45);
      assert.equal(value('migrant_share', '12,5%', 'sv'), 12.5);
      assert.equal(value('migrant_share', '0', 'en'), 0);
      assert.equal(value('migrant_share', 100, 'en'), 100);
    });
    it('refuses values outside 0 to 100', () => {
      assert.deepEqual(error('migrant_share', '101', 'en'), { key: 'questionnaire:errors.tooLarge', params: { max: '100' } });
      assert.equal(error('migrant_share', '-0.5', 'en').key, 'questionnaire:errors.tooSmall');
    });
  });

  describe('date', () => {
    it('accepts real ISO dates within the bounds', () => {
      assert.equal(value('founded', '2020-02-29'), '2020-02-29');
      assert.equal(value('founded', '2026-11-26'), '2026-11-26');
    });
    it('refuses impossible and non-ISO dates', () => {
      assert.equal(error('founded', '2021-02-29').key, 'questionnaire:errors.date');
      assert.equal(error('founded', '31/12/2020').key, 'questionnaire:errors.date');
      assert.equal(error('founded', '2020-1-5').key, 'questionnaire:errors.date');
    });
    it('refuses dates outside the bounds, with the bound written out in the locale; "today" is the given day', () => {
      assert.deepEqual(error('founded', '1899-12-31', 'sv'), { key: 'questionnaire:errors.dateTooEarly', params: { min: '1 januari 1900' } });
      assert.deepEqual(error('founded', '2026-11-27', 'en'), { key: 'questionnaire:errors.dateTooLate', params: { max: '26 November 2026' } });
    });
  });

  describe('texts', () => {
    it('trims, and keeps a short text on one line', () => {
      assert.equal(value('company_name', '  Acme AB  '), 'Acme AB');
      assert.equal(value('company_name', 'Acme\r\n  AB'), 'Acme AB');
    });
    it('keeps line breaks in a long text, normalised to \\n', () => {
      assert.equal(value('passport_storage', 'In a safe\r\nKey with HR'), 'In a safe\nKey with HR');
    });
    it('counts characters, not UTF-16 units, against maxLength', () => {
      assert.equal(value('company_name', '😀'.repeat(40)), '😀'.repeat(40));
      assert.deepEqual(error('company_name', 'x'.repeat(41)), { key: 'questionnaire:errors.tooLong', params: { max: '40', length: '41' } });
    });
    it('refuses control characters', () => {
      assert.equal(error('company_name', 'Acme\u0007').key, 'questionnaire:errors.invalidCharacters');
      assert.equal(error('passport_storage', 'a\u0000b').key, 'questionnaire:errors.invalidCharacters');
    });
    it('refuses values that are not text', () => {
      assert.equal(error('company_name', { name: 'Acme' }).key, 'questionnaire:errors.text');
    });
  });

  describe('country', () => {
    it('accepts ISO 3166-1 alpha-2 codes in any case', () => {
      assert.equal(value('country', 'se'), 'SE');
      assert.equal(value('country', 'AX'), 'AX');
    });
    it('refuses unknown codes, names and alpha-3 codes', () => {
      for (const raw of ['XX', 'SWE', 'Sweden', 'EU']) assert.equal(error('country', raw).key, 'questionnaire:errors.country');
    });
  });

  describe('evidence', () => {
    const photo = { fileId: '665f0c2e9b1e8a0012345678', filename: 'room.png', size: 200_000, contentType: 'image/png' };
    it('accepts stored files of an accepted type within the limits', () => {
      assert.deepEqual(value('housing_photos', [photo]), [photo]);
      assert.deepEqual(value('housing_photos', [{ ...photo, extra: 'dropped' }]), [photo]);
    });
    it('refuses a type the question does not accept, naming the file and the accepted types', () => {
      assert.deepEqual(error('housing_photos', [{ ...photo, filename: 'a.pdf', contentType: 'application/pdf' }]), {
        key: 'questionnaire:errors.fileType',
        params: { filename: 'a.pdf', accepted: 'JPEG, PNG' },
      });
    });
    it('refuses files over the size limit and more files than allowed', () => {
      assert.deepEqual(error('housing_photos', [{ ...photo, size: 2 * 1024 * 1024 }], 'sv').params, { filename: 'room.png', max: '1 MB' });
      assert.deepEqual(error('housing_photos', [photo, photo, photo]), { key: 'questionnaire:errors.tooManyFiles', params: { max: 2 } });
    });
    it('refuses anything that is not a stored file', () => {
      assert.equal(error('housing_photos', 'room.png').key, 'questionnaire:errors.evidence');
      assert.equal(error('housing_photos', [{ filename: 'x.png' }]).key, 'questionnaire:errors.evidence');
    });
  });

  describe('parseLocaleNumber', () => {
    it('reads negative numbers and refuses empty or mixed input', () => {
      assert.equal(parseLocaleNumber('-1 000,25', 'sv'), -1000.25);
      assert.equal(parseLocaleNumber('-1,000.25', 'en'), -1000.25);
      assert.equal(parseLocaleNumber('', 'en'), undefined);
      assert.equal(parseLocaleNumber('1e5', 'en'), undefined);
      assert.equal(parseLocaleNumber('0x10', 'en'), undefined);
    });
  });
});

describe('Country list', () => {
  it('has the 249 ISO 3166-1 codes, each named in Swedish and English', () => {
    assert.equal(COUNTRY_CODES.length, 249);
    assert.equal(new Set(COUNTRY_CODES).size, 249);
    for (const locale of ['sv', 'en'] as const) {
      const options = countryOptions(locale);
      assert.equal(options.length, 249);
      for (const option of options) assert.notEqual(option.name, option.code, `${option.code} has no ${locale} name`);
    }
    assert.equal(countryOptions('sv').find((o) => o.code === 'SE')?.name, 'Sverige');
    assert.equal(countryOptions('en').find((o) => o.code === 'SE')?.name, 'Sweden');
  });

  it('is sorted by each language’s collation: Å, Ä and Ö come after Z in Swedish, Åland sits with A in English', () => {
    const svNames = countryOptions('sv').map((o) => o.name);
    assert.deepEqual(svNames, [...svNames].sort(new Intl.Collator('sv').compare));
    assert.ok(svNames.indexOf('Österrike') > svNames.indexOf('Zimbabwe'));
    const enNames = countryOptions('en').map((o) => o.name);
    assert.ok(enNames.indexOf('Åland Islands') < enNames.indexOf('Albania'));
  });
});

describe('Error messages', () => {
  function lookup(resources: unknown, key: string): unknown {
    return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), resources);
  }

  function keyPaths(node: unknown, prefix = ''): string[] {
    if (typeof node !== 'object' || node === null) return [prefix];
    return Object.entries(node).flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}.${k}` : k));
  }

  it('Swedish and English translation files have the same keys', () => {
    assert.deepEqual(keyPaths(sv).sort(), keyPaths(en).sort());
  });

  it('every error produced above has a text in both languages whose placeholders are all given', () => {
    assert.ok(seenErrors.length > 30);
    for (const { key, params } of seenErrors) {
      assert.ok(key.startsWith('questionnaire:'), key);
      for (const resources of [sv, en]) {
        const text = lookup(resources, key.slice('questionnaire:'.length));
        assert.equal(typeof text, 'string', `${key} is missing`);
        for (const [, name] of String(text).matchAll(/\{\{(\w+)\}\}/g)) assert.ok(name! in params, `${key} needs ${name}`);
      }
    }
  });
});
