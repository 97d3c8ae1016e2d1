import assert from 'node:assert/strict';
import path from 'node:path';
import request from 'supertest';
import {
  createRegistry,
  loadCountryContext,
  loadQuestionnaires,
  parseDefinition,
  parseRuleSet,
  rulesCatalogue,
  type QuestionnaireRegistry,
} from '../../src/questionnaires';
import { buildTestApp, shippedQuestionnaires, type TestApp } from '../helpers/app';

const FIXTURES = path.join(__dirname, 'fixtures', 'valid');

function articleCount(html: string): number {
  return (html.match(/<article class="rule"/g) ?? []).length;
}

/** A questionnaire whose texts try to inject markup, with one published rule reading it. */
function hostileRegistry(): QuestionnaireRegistry {
  const evil = { sv: '<script>alert("sv")</script>', en: '<img src=x onerror=alert(1)>' };
  const definition = parseDefinition(
    {
      id: 'hostile-check',
      version: 1,
      status: 'published',
      title: evil,
      sections: [{ id: 's', title: evil, questions: [{ id: 'q', type: 'single_choice', label: evil, options: [{ id: 'a', label: evil }, { id: 'b', label: { sv: 'B', en: 'B' } }] }] }],
    },
    'hostile-check@1',
  );
  const context = loadCountryContext(FIXTURES);
  const rules = parseRuleSet(
    {
      questionnaire: 'hostile-check@1',
      version: 1,
      status: 'published',
      changes: evil,
      rules: [
        {
          id: 'evil_rule',
          title: evil,
          when: { question: 'q', equals: 'a' },
          severity: 'low',
          follow_up: 'desk_review',
          rationale: evil,
          examples: { triggers: [{ q: 'a' }], does_not_trigger: [{ q: 'b' }] },
        },
      ],
    },
    definition,
    context,
    'inline',
  );
  return createRegistry([definition], { ruleSets: [rules], countryContext: context });
}

describe('The published rules pages', () => {
  let t: TestApp;
  const registry = shippedQuestionnaires();

  before(async () => {
    t = await buildTestApp({ label: 'rules_pages' });
  });

  after(async () => {
    await t.close();
  });

  describe('When anyone opens the index without logging in', () => {
    it('then it lists every published questionnaire version with its rules versions, latest first, and sets no cookie', async () => {
      const res = await request(t.app).get('/rules?lang=en').expect(200);
      assert.equal(res.headers['set-cookie'], undefined);
      assert.match(res.headers['cache-control'] ?? '', /public/);
      assert.match(res.text, /<html lang="en">/);
      const v2 = res.text.indexOf('href="/rules/code-of-conduct-saq/2?lang=en"');
      const v1 = res.text.indexOf('href="/rules/code-of-conduct-saq/1?lang=en"');
      assert.ok(v2 > 0 && v1 > v2, 'version 2 is listed before version 1');
      assert.match(res.text, /latest version/);
      assert.match(res.text, /102 rules/);
      assert.match(res.text, /href="\/rules\/minimum-working-age\?lang=en"/);
    });

    it('then it is in Swedish by default, and follows the browser’s language', async () => {
      assert.match((await request(t.app).get('/rules').expect(200)).text, /Vad som leder till uppföljning/);
      assert.match((await request(t.app).get('/rules').set('Accept-Language', 'en').expect(200)).text, /What triggers a follow-up/);
    });
  });

  describe('When a questionnaire version’s rules are opened', () => {
    it('then every rule is shown with its severity, follow-up, indicators, conventions, rationale and questions', async () => {
      const rules = registry.currentRuleSet('code-of-conduct-saq', 2)!;
      const res = await request(t.app).get('/rules/code-of-conduct-saq/2?lang=en').expect(200);
      assert.equal(articleCount(res.text), rules.rules.length);
      for (const rule of rules.rules) assert.ok(res.text.includes(`id="rule-${rule.id}"`), rule.id);
      const passports = res.text.slice(res.text.indexOf('id="rule-identity_documents_retained"'));
      const article = passports.slice(0, passports.indexOf('</article>'));
      assert.match(article, /Critical/);
      assert.match(article, /Workers&#39; identity documents are held by the employer or an agent\./);
      assert.match(article, /Unannounced on-site audit/);
      assert.match(article, /7\. Retention of identity documents/);
      assert.match(article, /C29: Forced Labour Convention, 1930/);
      assert.match(article, /keep workers&#39; passports, identity papers or work permits\? <span class="muted">\(Forced labour\)<\/span>/);
    });

    it('then the triggering answers are written in plain words, never as the structured condition', async () => {
      const res = await request(t.app).get('/rules/code-of-conduct-saq/2?lang=en').expect(200);
      assert.doesNotMatch(res.text, /minimum_working_age_of|\{ ?question|&#34;question&#34;|prefer_not_to_say/);
      assert.match(res.text, /“Does the company, or a recruitment or staffing agency, keep workers&#39; passports, identity papers or work permits\?” is answered “Yes”/);
      assert.match(res.text, /“What is the minimum age at which you hire\?” is less than the legal minimum working age of the country answered to “In which country is the site that makes the contracted products\?”/);
      assert.match(res.text, /At least 3 of these:/);
      assert.match(res.text, /is answered “Prefer not to say”/);
      assert.match(res.text, /“What was the longest total working week, including overtime, that any worker had in the last 12 months\?” is more than 84 hours per week/);
      assert.match(res.text, /no document is uploaded for “Upload the latest month&#39;s payroll/);
      assert.match(res.text, /Not all of these:/);
    });

    it('then a rule comparing with a country says where the ages come from and that 15 applies where none is listed', async () => {
      const res = await request(t.app).get('/rules/code-of-conduct-saq/2?lang=en').expect(200);
      assert.match(res.text, /general minimum of 15 is used/);
      assert.match(res.text, /href="\/rules\/minimum-working-age\?lang=en"/);
    });

    it('then the Swedish page is all Swedish', async () => {
      const res = await request(t.app).get('/rules/code-of-conduct-saq/2?lang=sv').expect(200);
      assert.match(res.text, /<html lang="sv">/);
      assert.match(res.text, /Oanmäld revision på plats/);
      assert.match(res.text, /Konventionen om minimiålder, 1973/);
      assert.match(res.text, /”Behåller företaget eller ett rekryterings- eller bemanningsföretag arbetstagares pass, id-handlingar eller arbetstillstånd\?” besvaras ”Ja”/);
      assert.doesNotMatch(res.text, /Triggered when|Unannounced on-site audit/);
    });

    it('then version 1’s rules are readable too, at their own address and as the current rules of version 1', async () => {
      const current = await request(t.app).get('/rules/code-of-conduct-saq/1?lang=en').expect(200);
      const explicit = await request(t.app).get('/rules/code-of-conduct-saq/1/rules/1?lang=en').expect(200);
      assert.equal(articleCount(current.text), registry.currentRuleSet('code-of-conduct-saq', 1)!.rules.length);
      assert.equal(articleCount(explicit.text), articleCount(current.text));
      assert.match(current.text, /These are the rules in use\./);
    });

    const missing = ['/rules/code-of-conduct-saq/3', '/rules/code-of-conduct-saq/1/rules/2', '/rules/unknown/1', '/rules/Code_Of_Conduct/1', '/rules/code-of-conduct-saq/abc', '/rules/code-of-conduct-saq/1/rules/0', '/rules/code-of-conduct-saq/99999999999'];
    for (const url of missing) {
      it(`then ${url} is not found`, async () => {
        await request(t.app).get(url).expect(404);
      });
    }
  });

  describe('When the country table is opened', () => {
    it('then it lists each country’s minimum age with its source, and says that 15 applies elsewhere', async () => {
      const res = await request(t.app).get('/rules/minimum-working-age?lang=en').expect(200);
      const china = res.text.slice(res.text.indexOf('id="country-CN"'));
      assert.match(china.slice(0, 600), /China[\s\S]*16 years[\s\S]*<a href="http:\/\/ilo\.int\/dyn\/normlex[^"]*" rel="noopener noreferrer">ILO NORMLEX, CEACR Direct Request/);
      assert.match(res.text, /not listed gets the Convention’s general minimum of 15|not listed gets the Convention&#39;s general minimum of 15/);
      assert.equal((res.text.match(/<tr id="country-/g) ?? []).length, registry.countryContext.listedMinimumWorkingAges().length);
    });
  });

  describe('When rules are drafts', () => {
    let fixtureApp: TestApp;
    before(async () => {
      fixtureApp = await buildTestApp({ label: 'rules_pages_drafts', questionnaires: loadQuestionnaires(FIXTURES) });
    });
    after(async () => {
      await fixtureApp.close();
    });

    it('then they are not published: only the published version is listed and shown', async () => {
      const index = await request(fixtureApp.app).get('/rules?lang=en').expect(200);
      assert.match(index.text, /Rules version 1/);
      assert.doesNotMatch(index.text, /Rules version 2/);
      await request(fixtureApp.app).get('/rules/supplier-check/1/rules/2').expect(404);
      await request(fixtureApp.app).get('/rules/supplier-check/2').expect(404);
      assert.equal(articleCount((await request(fixtureApp.app).get('/rules/supplier-check/1').expect(200)).text), 3);
    });
  });

  describe('When questionnaire texts contain markup', () => {
    let hostileApp: TestApp;
    before(async () => {
      hostileApp = await buildTestApp({ label: 'rules_pages_hostile', questionnaires: hostileRegistry() });
    });
    after(async () => {
      await hostileApp.close();
    });

    it('then every text is escaped on every page', async () => {
      for (const url of ['/rules?lang=en', '/rules?lang=sv', '/rules/hostile-check/1?lang=en', '/rules/hostile-check/1?lang=sv']) {
        const res = await request(hostileApp.app).get(url).expect(200);
        assert.doesNotMatch(res.text, /<script>alert|<img src=x/, url);
        assert.match(res.text, /&lt;(script|img)/, url);
      }
    });
  });
});

describe('The rules catalogue for the JSON API', () => {
  const registry = shippedQuestionnaires();
  const catalogue = rulesCatalogue(registry);

  it('When serialised, then it is plain JSON holding every published rules version with structured conditions', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(catalogue)), catalogue);
    assert.deepEqual(catalogue.questionnaires.map((q) => `${q.id}@${q.version}:${q.latest}`), ['code-of-conduct-saq@2:true', 'code-of-conduct-saq@1:false']);
    const v2 = catalogue.questionnaires[0]!.rulesVersions[0]!;
    assert.equal(v2.key, 'code-of-conduct-saq@2/rules@1');
    assert.equal(v2.rules.length, registry.currentRuleSet('code-of-conduct-saq', 2)!.rules.length);
    const hiring = v2.rules.find((r) => r.id === 'hiring_below_national_minimum_age')!;
    assert.deepEqual(hiring.when, { question: 'minimum_hiring_age', lt: { minimum_working_age_of: 'site_country' } });
    assert.deepEqual(hiring.questions, ['minimum_hiring_age', 'site_country']);
    assert.equal(hiring.followUp, 'unannounced_on_site_audit');
    assert.equal(catalogue.minimumWorkingAge.generalMinimumAge, 15);
    assert.ok(catalogue.minimumWorkingAge.countries.every((c) => /^https?:\/\//.test(c.source.url)));
  });

  it('When rules are drafts, then the catalogue leaves them out', () => {
    const fixtures = rulesCatalogue(loadQuestionnaires(FIXTURES));
    assert.deepEqual(fixtures.questionnaires.map((q) => [q.id, q.version, q.rulesVersions.map((r) => r.version)]), [['supplier-check', 1, [1]]]);
  });
});
