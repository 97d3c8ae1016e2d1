import assert from 'node:assert/strict';
import { duplicateKeyOf, foldForSearch, IdentifierError, luhnCheckDigit, normaliseIdentifier, normaliseSwedishOrganisationNumber, normaliseVatNumber } from '../../src/suppliers/identifiers';
import { swedishSortKey } from '../../src/suppliers/input';

function problemOf(work: () => unknown): string | undefined {
  try {
    work();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof IdentifierError, String(error));
    return error.problem;
  }
}

describe('supplier identifiers', () => {
  it('When the Luhn check digit is computed, then it matches published organisationsnummer', () => {
    // Volvo Personvagnar AB 556074-3089 and the Swedish Tax Agency's own 202100-5489.
    assert.equal(luhnCheckDigit('556074308'), 9);
    assert.equal(luhnCheckDigit('202100548'), 9);
    assert.equal(luhnCheckDigit('556677889'), 9);
    assert.equal(luhnCheckDigit('212000014'), 2);
  });

  it('When an organisationsnummer is typed in any common way, then it is stored as NNNNNN-NNNN', () => {
    for (const typed of ['556677-8899', '5566778899', ' 556677 8899 ', '16556677-8899', '165566778899', 'SE556677889901', 'se 5566778899 01']) {
      assert.equal(normaliseSwedishOrganisationNumber(typed), '556677-8899', typed);
    }
  });

  it('When a sole trader uses a personnummer, then the 10- and 12-digit forms and the + separator are accepted', () => {
    assert.equal(normaliseSwedishOrganisationNumber('811228-9874'), '811228-9874');
    assert.equal(normaliseSwedishOrganisationNumber('198112289874'), '811228-9874');
    assert.equal(normaliseSwedishOrganisationNumber('811228+9874'), '811228-9874');
    // A samordningsnummer adds 60 to the day.
    assert.equal(normaliseSwedishOrganisationNumber('701063-2391'), '701063-2391');
  });

  it('When the check digit is wrong, then the number is refused as a typing error', () => {
    assert.equal(problemOf(() => normaliseSwedishOrganisationNumber('556677-8898')), 'seCheckDigit');
    assert.equal(problemOf(() => normaliseSwedishOrganisationNumber('811228-9875')), 'seCheckDigit');
  });

  it('When a number has the wrong shape or an impossible date, then it is refused', () => {
    assert.equal(problemOf(() => normaliseSwedishOrganisationNumber('55667-8899')), 'seFormat');
    assert.equal(problemOf(() => normaliseSwedishOrganisationNumber('556677-88990')), 'seFormat');
    assert.equal(problemOf(() => normaliseSwedishOrganisationNumber('abc')), 'seFormat');
    assert.equal(problemOf(() => normaliseSwedishOrganisationNumber('21556677-8899')), 'seFormat');
    assert.equal(problemOf(() => normaliseSwedishOrganisationNumber('16811228-9874')), 'seFormat', '16 only prefixes legal entities');
    assert.equal(problemOf(() => normaliseSwedishOrganisationNumber('811328-9874')), 'seDate', 'month 13');
  });

  it('When a VAT number is given, then its structure is checked per country prefix', () => {
    assert.equal(normaliseVatNumber('de 123 456 789', 'DE'), 'DE123456789');
    assert.equal(normaliseVatNumber('NL123456789B01', 'NL'), 'NL123456789B01');
    assert.equal(normaliseVatNumber('ATU12345678', 'AT'), 'ATU12345678');
    assert.equal(normaliseVatNumber('GR123456789', 'GR'), 'EL123456789', 'Greece is EL in VIES');
    assert.equal(normaliseVatNumber('FR12345678901', 'FR'), 'FR12345678901');
    assert.equal(normaliseVatNumber('CHE-123.456.789 MWST', 'CH'), 'CHE123456789MWST');
    assert.equal(problemOf(() => normaliseVatNumber('DE12345678', 'DE')), 'vatFormat');
    assert.equal(problemOf(() => normaliseVatNumber('AT12345678', 'AT')), 'vatFormat');
    assert.equal(problemOf(() => normaliseVatNumber('DE123456789', 'AT')), 'vatCountry');
  });

  it('When no kind is given, then it is read from the country and the value', () => {
    assert.deepEqual(normaliseIdentifier('SE', '5566778899'), { kind: 'se', value: '556677-8899' });
    assert.deepEqual(normaliseIdentifier('DE', 'DE123456789'), { kind: 'vat', value: 'DE123456789' });
    assert.deepEqual(normaliseIdentifier('DE', 'HRB 12345 B'), { kind: 'other', value: 'HRB 12345 B' });
    assert.deepEqual(normaliseIdentifier('CN', ''), { kind: 'none', value: '' });
    assert.equal(problemOf(() => normaliseIdentifier('SE', '')), 'required');
    assert.equal(problemOf(() => normaliseIdentifier('DE', '556677-8899', 'se')), 'seNotForForeign');
    assert.equal(problemOf(() => normaliseIdentifier('DE', 'DE12', 'vat')), 'vatFormat');
  });

  it('When duplicate keys are made, then any spelling of one number, or the same name in one country, is one key', () => {
    const se = (raw: string) => duplicateKeyOf('SE', normaliseIdentifier('SE', raw), 'x');
    assert.equal(se('556677-8899'), se('SE556677889901'));
    assert.equal(duplicateKeyOf('CN', { kind: 'none', value: '' }, 'Bright Gloves Co., Ltd.'), duplicateKeyOf('CN', { kind: 'none', value: '' }, 'BRIGHT GLOVES CO LTD'));
    assert.notEqual(duplicateKeyOf('CN', { kind: 'none', value: '' }, 'Bright'), duplicateKeyOf('VN', { kind: 'none', value: '' }, 'Bright'));
  });

  it('When text is folded and names sorted, then diacritics are ignored in search and Å Ä Ö sort after Z', () => {
    assert.equal(foldForSearch('  Åhléns   ÖSTERMALM '), 'ahlens ostermalm');
    const names = ['Örebro Plåt AB', 'Zeta AB', 'Ängelholm AB', 'Åkers AB', 'ABB AB', 'Éclair AB'];
    const sorted = [...names].sort((a, b) => (swedishSortKey(a) < swedishSortKey(b) ? -1 : 1));
    assert.deepEqual(sorted, ['ABB AB', 'Éclair AB', 'Zeta AB', 'Åkers AB', 'Ängelholm AB', 'Örebro Plåt AB']);
  });
});
