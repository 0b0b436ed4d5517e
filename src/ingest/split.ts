/**
 * Separates the new text of a reply from the quoted history, then finds the sender's signature in
 * the new text. Line-based, in the manner of talon: each line gets a mark, and the marks decide the
 * cut. Inline and bottom-posted answers survive; forwarded and quoted blocks never reach extraction.
 */
import { QUOTE_MARKER } from './html.js';

export interface QuoteSplit {
  /** The new text, quote lines removed, trimmed. */
  newText: string;
  /** The quoted history as found (header lines included). */
  quoted: string;
  /** Why the cut was made where it was, for `mailops inspect`. */
  quoteReason: string | undefined;
  /** The first line of quoted history (the header), when one was recognised. */
  quoteHeader: string | undefined;
}

const MAX_LINES = 3000;

// "On Tue, 3 Nov 2026 at 09:12, Dana Whitfield <dana@x.com> wrote:" and its translations.
const WROTE_LEADS =
  '(?:On|Le|Am|El|Il|Em|Op|Den|På|Dne|W dniu|Στις|В|Pada|Vào|Dana|Le\\s|Am\\s|Op\\s|Il giorno|Em\\s|Den\\s|Tanggal|U|Dňa|\\d{1,4}[./-]\\d{1,2}[./-]\\d{1,4}|\\d{1,2}\\.?\\s+\\p{L}+\\.?\\s+\\d{4})';
const WROTE_VERBS =
  '(?:wrote|writes|sent|het volgende geschreven|geschreven|a écrit|a ecrit|schrieb|schreef|escribió|escribio|ha scritto|scrisse|escreveu|skrev|skrifaði|napisał|napisal|napsal|kirjoitti|írta|yazdı|написал|написала|写道|작성|が書きました|kirjutas|rašė|rakstīja|je napisao|je napisala|a scris|έγραψε|menulis|đã viết|ha escrit|idatzi zuen|wrote the following)';
const WROTE_LINE = new RegExp(`^\\s*${WROTE_LEADS}(?=[\\s,])[^\\n]{0,300}?${WROTE_VERBS}(?:\\s*:?\\s*$|\\s+[^\\n]{1,120}:\\s*$)`, 'iu');
// Gmail's compact form: "2026-11-03 10:12 GMT+01:00 Dana Whitfield <dana@x.com>:"
const DATED_AUTHOR_LINE = /^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[ T]\d{1,2}:\d{2})?[^\n]{0,80}<\s*[^<>@\s]+@[^<>\s]+\s*>\s*:?\s*$/;
// "reply text On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:" — the header shares the reply's line.
const MID_WROTE = /^(.*?\S)\s*(?:-{2,}\s*)?((?:On|Le|Am|El)\s[^\n]{5,200}?(?:wrote|a écrit|schrieb|escribió)\s*:)\s*$/;
const ORIGINAL_MESSAGE =
  /^\s*[-_=*]{2,}\s*(?:original message|ursprüngliche nachricht|urspr\S* nachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|originalmeddelande|opprinnelig melding|oprindelig meddelelse|alkuperäinen viesti|wiadomość oryginalna|mensagem original|původní zpráva|eredeti üzenet|исходное сообщение|原始邮件|reply message|original)\s*[-_=*]{2,}\s*$/i;
const FORWARD_LINE =
  /^\s*(?:[-_=*]{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|message transfere|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|vidarebefordrat meddelande|videresendt melding|mensagem encaminhada|wiadomość przekazana|forwarded by [^\n]*)\s*[-_=*]{0,}|begin forwarded message:|anfang der weitergeleiteten nachricht:|début du message réexpédié :?|inicio del mensaje reenviado:?)\s*$/i;
const HEADER_START = /^\s*[*_]*(?:date|sent|datum|gesendet|envoyé|enviado|fecha)[*_]*\s*:[*_]*\s*\S/i;
const HEADER_FROM = /^\s*[*_]*(?:from|von|de|van|da|från|fra|od|lähettäjä|feladó|от|kimden|expéditeur|remitente|mittente|afzender|absender|差出人|送信者|发件人|寄件者|보낸 사람|보낸사람)[*_]*\s*[:：][*_]*\s*\S/i;
const HEADER_OTHER =
  /^\s*[*_]*(?:sent|date|gesendet|datum|envoyé|envoye|enviado|enviada|fecha|verzonden|inviato|data|skickat|sendt|wysłano|wysłane|lähetetty|dátum|отправлено|дата|gönderildi|tarih|to|an|à|a|para|aan|till|til|do|vastaanottaja|címzett|кому|kime|subject|betreff|objet|asunto|onderwerp|oggetto|assunto|ämne|emne|temat|aihe|tárgy|тема|konu|cc|kopie|送信日時|日付|発信日時|宛先|件名|发送时间|发送日期|日期|收件人|主题|主旨|寄件日期|收件者|받는 사람|보낸 날짜|제목|날짜)[*_]*\s*[:：]/i;
const UNDERSCORE_LINE = /^\s*_{10,}\s*$/;

type Mark = 'text' | 'quote' | 'empty' | 'header';

function isQuoted(line: string): boolean {
  return /^\s*>/.test(line);
}

/** Length of an Outlook-style header block (From: followed by Sent/To/Subject lines) starting at i, or 0. */
function headerBlockLength(lines: string[], i: number): number {
  const first = lines[i] ?? '';
  const fromStart = HEADER_FROM.test(first);
  if (!fromStart && !HEADER_START.test(first)) return 0;
  let n = 1;
  let others = 0;
  let hasFrom = fromStart;
  for (let j = i + 1; j < Math.min(lines.length, i + 9); j++) {
    const l = lines[j] ?? '';
    if (HEADER_OTHER.test(l) || (!hasFrom && HEADER_FROM.test(l))) {
      if (HEADER_FROM.test(l)) hasFrom = true;
      others++;
      n = j - i + 1;
    } else if (l.trim() === '' && others === 0) {
      continue;
    } else if (others === 0 && j - i <= 2 && l.trim().length < 80) {
      continue; // the From line wrapped ("[mailto:\n bob@example.com]")
    } else if (!/^\s+\S/.test(l)) {
      break;
    }
  }
  if (!fromStart) return others >= 2 ? n : 0;
  return others >= 2 || (others >= 1 && /^\s*[*_]*(?:from|von|de)[*_]*\s*:[^\n]*@/i.test(first)) ? n : 0;
}

/** Joins a "On … wrote:" header that a client wrapped over up to three lines. */
function wroteHeaderLength(lines: string[], i: number): number {
  let joined = '';
  for (let k = 0; k < 3 && i + k < lines.length; k++) {
    const l = (lines[i + k] ?? '').replace(/^\s*-{2,}\s*|\s*-{2,}\s*$/g, '');
    if (k > 0 && (l.trim() === '' || isQuoted(l))) break;
    joined = k === 0 ? l.trim() : `${joined} ${l.trim()}`;
    if (/wrote$|skrev$|schrieb$/i.test(joined)) joined += ':';
    if (joined.length > 400) break;
    if (WROTE_LINE.test(joined) || DATED_AUTHOR_LINE.test(joined)) return k + 1;
  }
  return 0;
}

export function splitQuote(text: string): QuoteSplit {
  const lines: string[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n').slice(0, MAX_LINES)) {
    const m = isQuoted(line) ? null : MID_WROTE.exec(line);
    if (m && !/^\s*(?:On|Le|Am|El)\s/.test(line)) lines.push(m[1]!, m[2]!);
    else lines.push(line);
  }
  const marks: Mark[] = lines.map((l) => (l.trim() === '' ? 'empty' : isQuoted(l) ? 'quote' : 'text'));
  let cut = -1; // everything from here on is history
  let reason: string | undefined;
  let header: string | undefined;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (marks[i] === 'quote' || marks[i] === 'empty') continue;
    if (line.includes(QUOTE_MARKER)) {
      cut = i;
      reason = 'html-quote-container';
      break;
    }
    if (ORIGINAL_MESSAGE.test(line)) {
      cut = i;
      reason = 'original-message-separator';
      header = line.trim();
      break;
    }
    if (FORWARD_LINE.test(line)) {
      cut = i;
      reason = 'forwarded-message';
      header = line.trim();
      break;
    }
    if (UNDERSCORE_LINE.test(line)) {
      let j = i + 1;
      while (j < lines.length && lines[j]!.trim() === '') j++;
      if (headerBlockLength(lines, j) > 0) {
        cut = i;
        reason = 'outlook-header-block';
        header = lines[j]!.trim();
        break;
      }
    }
    if (headerBlockLength(lines, i) > 0) {
      cut = i;
      reason = 'outlook-header-block';
      header = line.trim();
      break;
    }
    const wrote = wroteHeaderLength(lines, i);
    if (wrote > 0) {
      header = lines.slice(i, i + wrote).map((l) => l.trim()).join(' ');
      for (let k = i; k < i + wrote; k++) marks[k] = 'header';
      // Quote prefixed with ">" follows: later unquoted text is an inline or bottom-posted answer.
      let j = i + wrote;
      while (j < lines.length && marks[j] === 'empty') j++;
      if (j < lines.length && marks[j] === 'quote') {
        reason = reason ?? 'wrote-header';
        i = j - 1;
        continue;
      }
      cut = i;
      reason = 'wrote-header';
      break;
    }
  }

  const newLines: string[] = [];
  const quotedLines: string[] = [];
  const end = cut >= 0 ? cut : lines.length;
  for (let i = 0; i < lines.length; i++) {
    const m = marks[i];
    if (i >= end || m === 'quote' || m === 'header') quotedLines.push(lines[i]!);
    else newLines.push(lines[i]!);
  }
  if (!reason && quotedLines.length) reason = 'quote-prefix';
  return {
    newText: tidyBlankLines(newLines).join('\n').trim(),
    quoted: quotedLines.join('\n'),
    quoteReason: reason,
    quoteHeader: header,
  };
}

function tidyBlankLines(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const t = l.replace(/\s+$/, '');
    if (t === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(t);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

// ---------------------------------------------------------------- signature

export interface SignatureSplit {
  body: string;
  signature: string;
  /** What marked the start of the signature. */
  signatureReason: string | undefined;
}

const VALEDICTION =
  /^\s*(?:(?:with\s+)?(?:best|kind|warm|warmest|many|all the best|kindest|friendly)?\s*(?:regards|wishes|thanks|greetings)|best|thanks(?: again| so much| a lot| and regards)?|thank you(?: very much| again)?|many thanks|cheers|sincerely(?: yours)?|yours(?: sincerely| truly| faithfully)?|cordially|respectfully|talk soon|speak soon|br|rgds|regds|tks|thx|ty|mit freundlichen grüßen|mit freundlichen grüssen|mit freundlichem gruß|mit besten grüßen|freundliche grüße|freundliche grüsse|beste grüße|beste grüsse|viele grüße|viele grüsse|liebe grüße|lg|mfg|vg|gruß|grüße|gruss|cordialement|bien cordialement|bien à vous|bien a vous|salutations|meilleures salutations|sincères salutations|amicalement|merci|saludos(?: cordiales)?|un saludo|atentamente|cordiales saludos|gracias|cordiali saluti|distinti saluti|saluti|grazie|met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groeten|groet|med vänlig hälsning|vänliga hälsningar|hälsningar|mvh|med venlig hilsen|venlig hilsen|hilsen|med vennlig hilsen|ystävällisin terveisin|terveisin|pozdrawiam|z poważaniem|atenciosamente|abraços|abraço|obrigado|obrigada|cumprimentos|s pozdravem|üdvözlettel|с уважением|saygılarımla)\s*[,.!:;\-–—]*\s*$/iu;
const DELIMITER = /^\s*(?:--|__|—|-- ?|~~|\*\*\*)\s*$/;
const MOBILE_FOOTER =
  /^\s*(?:sent from (?:my )?[\w\s.'-]{1,40}|sent via [\w\s.'-]{1,40}|get outlook for [\w\s.'-]{1,20}|von meinem [\w\s-]{1,30} gesendet|envoyé de mon [\w\s-]{1,30}|enviado desde mi [\w\s-]{1,30}|inviato da [\w\s-]{1,30}|verzonden vanaf mijn [\w\s-]{1,30}|skickat från min [\w\s-]{1,30}|sendt fra min [\w\s-]{1,30}|enviado do meu [\w\s-]{1,30}|sent with [\w\s.'-]{1,30})\s*$/i;

/**
 * Finds the signature in the new text: after a `--` delimiter, after a closing line
 * ("Best regards,"), or the trailing block of short lines that holds a phone, email or the
 * sender's name. Only the last 15 non-empty lines are candidates.
 */
export function splitSignature(newText: string, senderNameTokens: string[] = []): SignatureSplit {
  const all = newText.split('\n');
  const lines = all.filter((l) => !MOBILE_FOOTER.test(l));
  const nonEmptyIdx = lines.map((l, i) => (l.trim() ? i : -1)).filter((i) => i >= 0);
  const window = new Set(nonEmptyIdx.slice(-15));
  const firstCandidate = nonEmptyIdx.length ? Math.min(...window) : 0;

  const result = (start: number, reason: string, includeStartLine: boolean): SignatureSplit => ({
    body: lines.slice(0, start).join('\n').trim(),
    signature: lines
      .slice(includeStartLine ? start : start + 1)
      .join('\n')
      .trim(),
    signatureReason: reason,
  });

  for (let i = firstCandidate; i < lines.length; i++) {
    if (DELIMITER.test(lines[i]!)) return result(i, 'delimiter', false);
  }
  // The last closing line wins ("Thanks!" in the body, "Best regards," before the signature).
  for (let i = lines.length - 1; i >= firstCandidate; i--) {
    const l = lines[i]!;
    if (l.trim().length <= 40 && VALEDICTION.test(l)) return result(i, 'closing-line', false);
    // "Best, Priya" / "Thanks, Tom" on one line.
    const inline = /^\s*(best|thanks|cheers|regards|best regards|kind regards|many thanks|thank you|merci|grüße|saludos|groeten)\s*[,–-]\s*(\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’-]+){0,2})\s*$/iu.exec(l);
    if (inline) {
      const rest = lines.slice(i + 1).join('\n').trim();
      return {
        body: lines.slice(0, i).join('\n').trim(),
        signature: [inline[2]!, rest].filter(Boolean).join('\n'),
        signatureReason: 'closing-line',
      };
    }
  }
  // The sender's name on a line of its own near the end.
  if (senderNameTokens.length) {
    for (let i = firstCandidate; i < lines.length; i++) {
      const l = lines[i]!.trim();
      if (!l || l.length > 60) continue;
      const tokens = l
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{M}+/gu, '')
        .split(/[\s,|'’-]+/);
      const hits = senderNameTokens.filter((t) => tokens.includes(t)).length;
      if (hits >= Math.min(2, senderNameTokens.length) && tokens.length <= 8) return result(i, 'sender-name-line', true);
    }
  }
  // A trailing block of short lines carrying contact details.
  let start = lines.length;
  for (let i = lines.length - 1; i >= firstCandidate; i--) {
    const l = lines[i]!;
    if (l.trim() === '') {
      if (start < lines.length) break;
      continue;
    }
    if (l.trim().length > 80) break;
    start = i;
  }
  if (start < lines.length) {
    const block = lines.slice(start).join('\n');
    const blockLines = block.split('\n').filter((l) => l.trim());
    const contactish = /@|\+?\d[\d\s().-]{6,}\d|www\.|https?:\/\//.test(block);
    // Card lines are short and few of them read like sentences.
    const sentenceLike = blockLines.filter((l) => l.trim().split(/\s+/).length > 6 || /[a-z]{2,}[.!?]$/.test(l.trim())).length;
    if (contactish && blockLines.length >= 2 && blockLines.length <= 10 && start > 0 && sentenceLike <= 1 && !/^\s*(?:please|for|if|i|we|you|thank)\b/i.test(blockLines[0]!)) {
      return result(start, 'contact-block', true);
    }
  }
  return { body: lines.join('\n').trim(), signature: '', signatureReason: undefined };
}
