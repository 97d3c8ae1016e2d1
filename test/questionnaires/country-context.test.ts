import assert from 'node:assert/strict';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import fs from 'node:fs';
import { C138_GENERAL_MINIMUM_AGE, QuestionnaireLoadError, isCountryCode, loadCountryContext, parseCountryContext } from '../../src/questionnaires';
import { paths } from '../../src/platform/paths';

const SHIPPED_FILE = path.join(paths.questionnaires, 'context', 'minimum-working-age.yaml');

describe('The shipped minimum working ages (C138)', () => {
  const context = loadCountryContext(paths.questionnaires);
  const listed = context.listedMinimumWorkingAges();

  it('loads, and lists countries by code', () => {
    assert.equal(context.loaded, true);
    assert.ok(listed.length >= 20, `${listed.length} countries`);
    assert.deepEqual(listed.map((e) => e.country), [...listed.map((e) => e.country)].sort());
  });

  it('names a public source with an address for every value, and only C138 figures (14 to 18)', () => {
    for (const entry of listed) {
      assert.ok(isCountryCode(entry.country), entry.country);
      assert.ok(entry.age >= 14 && entry.age <= 18, `${entry.country}: ${entry.age}`);
      assert.equal(entry.fallback, false);
      assert.match(entry.source.url, /^https?:\/\/\S+$/, entry.country);
      assert.ok(entry.source.title.length > 10, entry.country);
    }
  });

  it('gives the values the sources state for the countries the rules examples rely on', () => {
    assert.equal(context.minimumWorkingAge('CN').age, 16);
    assert.equal(context.minimumWorkingAge('BD').age, 14);
    assert.equal(context.minimumWorkingAge('IN').age, 14);
    assert.equal(context.minimumWorkingAge('BR').age, 16);
  });

  it('falls back to the general minimum of 15 for a country without a sourced value, and says so', () => {
    const sweden = context.minimumWorkingAge('SE');
    assert.equal(sweden.age, C138_GENERAL_MINIMUM_AGE);
    assert.equal(sweden.fallback, true);
    assert.match(sweden.source.title, /Article 2\(3\)/);
    assert.match(context.generalMinimumBasis.en, /15/);
    assert.match(context.generalMinimumBasis.sv, /15/);
  });
});

describe('When the minimum working age file is broken, then loading names the place and the problem', () => {
  const base = parseYaml(fs.readFileSync(SHIPPED_FILE, 'utf8')) as Record<string, unknown> & { countries: Array<Record<string, unknown>>; sources: Array<Record<string, unknown>> };

  function problems(change: (data: typeof base) => void): Array<{ path: string; message: string }> {
    const data = structuredClone(base);
    change(data);
    try {
      parseCountryContext(data, 'context/minimum-working-age.yaml');
    } catch (error) {
      if (error instanceof QuestionnaireLoadError) return error.problems;
      throw error;
    }
    assert.fail('parsed without error');
  }

  const cases: Array<[string, (data: typeof base) => void, string, RegExp]> = [
    ['an unknown country code', (d) => void (d.countries[0]!.country = 'XX'), 'countries[0].country', /ISO 3166-1/],
    ['an age below what C138 allows', (d) => void (d.countries[0]!.minimum_age = 12), 'countries[0].minimum_age', /no minimum age below 14/],
    ['an age written as text', (d) => void (d.countries[0]!.minimum_age = '15'), 'countries[0].minimum_age', /expected number/],
    ['a country listed twice', (d) => void d.countries.push({ ...d.countries[0]! }), `countries[${base.countries.length}].country`, /listed twice/],
    ['a value without a source', (d) => void delete d.countries[0]!.source, 'countries[0].source', /expected string/],
    ['an unknown source', (d) => void (d.countries[0]!.source = 'somebody_said_so'), 'countries[0].source', /unknown source "somebody_said_so"/],
    ['a source without an address', (d) => void (d.sources[0]!.url = 'javascript:alert(1)'), 'sources[0].url', /http\(s\) address/],
    ['a source nothing uses', (d) => void d.sources.push({ id: 'unused', title: 'Unused source', url: 'https://example.org/' }), `sources[${base.sources.length}]`, /not used by any country/],
    ['another general minimum', (d) => void (d.general_minimum_age = 14), 'general_minimum_age', /Article 2\(3\) sets the general minimum at 15/],
    ['an unknown key', (d) => void (d.countries[0]!.note = 'x'), 'countries[0]', /Unrecognized key/],
  ];
  for (const [name, change, problemPath, message] of cases) {
    it(name, () => {
      const found = problems(change).find((p) => p.path === problemPath && message.test(p.message));
      assert.ok(found, JSON.stringify(problems(change)));
    });
  }
});
