import { describe, expect, it } from 'vitest';
import { findPhones, isRoleAddress, makeExcerpt, normalizeEmail, normalizePersonName, regionForEmail } from './normalize.js';

describe('normalizePersonName', () => {
  it.each([
    ['Nair, Priya', 'Priya Nair'],
    ['"Dr. Jane Roe, PhD"', 'Jane Roe'],
    ['JOHN SMITH', 'John Smith'],
    ['Robert Alvarez, CPA', 'Robert Alvarez'],
    ['Anna van der Berg', 'Anna van der Berg'],
    ["Siobhan O'Neill MBA", "Siobhan O'Neill"],
  ])('%s → %s', (raw, want) => expect(normalizePersonName(raw)).toBe(want));

  it.each(['Acme Sales Team', 'info@acme.com', 'Customer Service', '12345'])('%s is not a person', (raw) => {
    expect(normalizePersonName(raw)).toBeUndefined();
  });
});

describe('emails', () => {
  it('lowercases, validates and refuses formula-looking local parts', () => {
    expect(normalizeEmail(' <Jane.Roe@Example.COM> ')).toBe('jane.roe@example.com');
    expect(normalizeEmail('not-an-address')).toBeUndefined();
  });
  it('knows role mailboxes', () => {
    expect(isRoleAddress('info@acme.com')).toBe(true);
    expect(isRoleAddress('no-reply+x@acme.com')).toBe(true);
    expect(isRoleAddress('jane.roe@acme.com')).toBe(false);
  });
});

describe('findPhones', () => {
  it('reads national numbers in the country of the email ccTLD', () => {
    expect(regionForEmail('a@b.co.uk', 'US')).toBe('GB');
    expect(findPhones('Tel: 020 7946 0958', 'GB')[0]?.e164).toBe('+442079460958');
    expect(findPhones('Tel: 020 7946 0958', 'US')).toEqual([]);
  });
  it('marks fax, drops extensions and keeps the explicit country code', () => {
    const found = findPhones('Fax: (619) 555-0133\nOffice: (619) 555-0128 x204\nMobile: +49 30 901820 47', 'US');
    expect(found.map((p) => [p.e164, p.isFax])).toEqual([
      ['+16195550133', true],
      ['+16195550128', false],
      ['+493090182047', false],
    ]);
  });
  it('does not take VAT numbers, registration numbers or prices for phones', () => {
    const text = 'USt-IdNr.: DE 298765432\nCompany No. 08123456\nPrice: $1,250,000\nVAT GB 123 4567 89';
    expect(findPhones(text, 'GB')).toEqual([]);
    expect(findPhones(text, 'DE')).toEqual([]);
  });
});

describe('makeExcerpt', () => {
  it('collapses whitespace, strips control characters, redacts card numbers, caps the length', () => {
    expect(makeExcerpt('a\u0007b \n\n c')).toBe('a b c');
    expect(makeExcerpt('card 4111 1111 1111 1111 ok')).toBe('card [redacted] ok');
    expect(makeExcerpt('order 1234 5678 9012 3456 ok')).toBe('order 1234 5678 9012 3456 ok'); // fails Luhn
    expect(makeExcerpt('x'.repeat(4000)).length).toBe(1500);
  });
});
