import { describe, expect, it } from 'vitest';
import { splitQuote, splitSignature } from './split.js';
import { htmlToText } from './html.js';

const ORIGINAL = 'Hi Priya,\nour platform cuts reconciliation time in half.\nDana Whitfield\n+1 (415) 555-0142';

describe('splitQuote', () => {
  it.each([
    ['English "On … wrote:" with > quotes', `Sounds good.\n\nOn Tue, Nov 3, 2026 at 9:12 AM Dana Whitfield <dana@sourceww.com> wrote:\n> ${ORIGINAL.split('\n').join('\n> ')}`],
    ['German header with the name after the verb', `Klingt gut.\n\nAm 03.11.26 um 10:14 schrieb Dana Whitfield:\n> ${ORIGINAL.split('\n').join('\n> ')}`],
    ['French', `Ça marche.\n\nLe mar. 3 nov. 2026 à 09:12, Dana Whitfield <dana@sourceww.com> a écrit :\n> ${ORIGINAL.split('\n').join('\n> ')}`],
    ['Spanish', `Perfecto.\n\nEl mar, 3 nov 2026 a las 9:12, Dana Whitfield (<dana@sourceww.com>) escribió:\n> ${ORIGINAL.split('\n').join('\n> ')}`],
    ['Outlook block with separator', `Sounds good.\n\n________________________________\nFrom: Dana Whitfield <dana@sourceww.com>\nSent: Tuesday, November 3, 2026 9:12 AM\nTo: Priya Nair <priya@vistara.in>\nSubject: Partnership\n\n${ORIGINAL}`],
    ['Outlook block without separator, bold labels', `Sounds good.\n\n*From:* Dana Whitfield [mailto:\ndana@sourceww.com]\n*Sent:* Tuesday, November 3, 2026 9:12 AM\n*To:* Priya Nair\n*Subject:* Partnership\n\n${ORIGINAL}`],
    ['-----Original Message-----', `Sounds good.\n\n-----Original Message-----\nFrom: Dana Whitfield\n${ORIGINAL}`],
    ['forwarded block', `Sounds good.\n\n---------- Forwarded message ---------\nFrom: Someone Else <someone@else.com>\n${ORIGINAL}`],
  ])('%s: keeps only the new text', (_name, text) => {
    const split = splitQuote(text);
    expect(split.newText.split('\n')[0]).toMatch(/^(Sounds good\.|Klingt gut\.|Ça marche\.|Perfecto\.)$/);
    expect(split.newText).not.toContain('reconciliation');
    expect(split.newText).not.toContain('555-0142');
  });

  it('keeps a bottom-posted answer and drops the quote above it', () => {
    const split = splitQuote(`On Tue, Nov 3, 2026 at 9:12 AM Dana wrote:\n> ${ORIGINAL.split('\n').join('\n> ')}\n\nYes, call me Thursday.\nPriya`);
    expect(split.newText).toBe('Yes, call me Thursday.\nPriya');
  });

  it('turns HTML quote containers into quoted history', () => {
    const text = htmlToText('<div dir="ltr">Works for me.<br>Priya</div><div class="gmail_quote"><div>On Tue Dana wrote:</div><blockquote>our platform cuts reconciliation</blockquote></div>');
    expect(splitQuote(text).newText).toBe('Works for me.\nPriya');
  });
});

describe('splitSignature', () => {
  it('starts the signature after a closing line', () => {
    const s = splitSignature('Happy to talk.\n\nBest regards,\nPriya Nair\nHead of Procurement\nVistara Analytics');
    expect(s.body).toBe('Happy to talk.');
    expect(s.signature).toBe('Priya Nair\nHead of Procurement\nVistara Analytics');
  });
  it('starts the signature at a -- delimiter', () => {
    expect(splitSignature('Yes.\n-- \nTom Becker\nCTO').signature).toBe('Tom Becker\nCTO');
  });
  it('does not take a prose paragraph with an address for a signature', () => {
    const s = splitSignature('I have left Acme.\n\nPlease write to my successor Hannah Price at\nhannah.price@acme.com or +1 303 555 0164 from now on.');
    expect(s.signature).toBe('');
  });
});
