import assert from 'node:assert/strict';
import { createCollator, normalizeCollation, sameCollation, toBcp47 } from '../../../src/embedded-mongo/query/collation';
import { MongoServerError } from '../../../src/embedded-mongo/errors';

function rejects(spec: unknown): void {
  assert.throws(() => createCollator(spec), (err: unknown) => err instanceof MongoServerError && err.code === 2);
}

describe('embedded-mongo query/collation', () => {
  it('has no collator for a missing spec or the simple locale', () => {
    assert.equal(createCollator(undefined), undefined);
    assert.equal(createCollator({ locale: 'simple' }), undefined);
  });

  it('strength 1 ignores case and accents', () => {
    const c = createCollator({ locale: 'en', strength: 1 })!;
    assert.equal(c.compare('Resume', 'résumé'), 0);
  });

  it('strength 2 ignores case but not accents', () => {
    const c = createCollator({ locale: 'en', strength: 2 })!;
    assert.equal(c.compare('ABC', 'abc'), 0);
    assert.notEqual(c.compare('resume', 'résumé'), 0);
  });

  it('strength 3 (the default) distinguishes case', () => {
    const c = createCollator({ locale: 'en' })!;
    assert.notEqual(c.compare('ABC', 'abc'), 0);
    assert.equal(c.spec.strength, 3);
  });

  it('caseLevel makes case significant at strength 1', () => {
    const c = createCollator({ locale: 'en', strength: 1, caseLevel: true })!;
    assert.notEqual(c.compare('a', 'A'), 0);
    assert.equal(c.compare('a', 'á'), 0);
  });

  it('caseFirst upper puts capitals first', () => {
    const c = createCollator({ locale: 'en', caseFirst: 'upper' })!;
    assert.equal(c.compare('A', 'a'), -1);
  });

  it('numericOrdering compares digit runs as numbers', () => {
    assert.equal(createCollator({ locale: 'en', numericOrdering: true })!.compare('10', '9'), 1);
    assert.equal(createCollator({ locale: 'en' })!.compare('10', '9'), -1);
  });

  it('alternate shifted ignores punctuation and spaces', () => {
    assert.equal(createCollator({ locale: 'en', alternate: 'shifted' })!.compare('a-b', 'ab'), 0);
  });

  it('sorts Swedish å, ä, ö after z', () => {
    const c = createCollator({ locale: 'sv' })!;
    const words = ['ö', 'ä', 'z', 'å', 'a'];
    assert.deepEqual([...words].sort(c.compare), ['a', 'z', 'å', 'ä', 'ö']);
  });

  it('maps ICU locale ids to BCP 47', () => {
    assert.equal(toBcp47('en_US'), 'en-US');
    assert.equal(toBcp47('de@collation=phonebook'), 'de-u-co-phonebk');
    assert.ok(createCollator({ locale: 'de@collation=phonebook' }));
  });

  it('fills in MongoDB defaults', () => {
    assert.deepEqual(normalizeCollation({ locale: 'fr' }), {
      locale: 'fr',
      caseLevel: false,
      caseFirst: 'off',
      strength: 3,
      numericOrdering: false,
      alternate: 'non-ignorable',
      maxVariable: 'punct',
      normalization: false,
      backwards: false,
    });
    assert.ok(sameCollation({ locale: 'fr' }, { locale: 'fr', strength: 3 }));
    assert.ok(!sameCollation({ locale: 'fr' }, { locale: 'fr', strength: 2 }));
  });

  it('rejects invalid specs with BadValue', () => {
    rejects({ locale: 'xx_nowhere' });
    rejects({ locale: 'en', strength: 0 });
    rejects({ locale: 'en', strength: 6 });
    rejects({ locale: 'en', strength: 'high' });
    rejects({ locale: 'en', caseFirst: 'middle' });
    rejects({ strength: 1 });
    rejects({ locale: 'en', bogus: true });
    rejects('en');
  });
});
