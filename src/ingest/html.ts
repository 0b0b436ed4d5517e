/**
 * HTML → plain text for replies, keeping the quote structure: `<blockquote>` content becomes
 * `> `-prefixed lines and the containers mail clients wrap quoted history in (Gmail `gmail_quote`,
 * Outlook `divRplyFwdMsg`/`appendonsend`, Thunderbird `moz-cite-prefix`, Yahoo, Apple, Zimbra,
 * ProtonMail) start with a marker line the quote splitter treats as a quote header.
 */

export const QUOTE_MARKER = '\u2063mailops-quoted-history\u2063';

const QUOTE_CONTAINER =
  /\b(?:class|id)\s*=\s*["']?[^"'>]*(?:gmail_quote|divRplyFwdMsg|appendonsend|OLK_SRC_BODY_SECTION|moz-cite-prefix|yahoo_quoted|protonmail_quote|zmail_extra|mail-editor-reference-message-container|reply-intro|ms-outlook-mobile-reference-message|x_divRplyFwdMsg|x_appendonsend|WordSection_quote)/i;
const ZIMBRA_MARKER = /data-marker\s*=\s*["']__QUOTED_TEXT__/i;
const SIGNATURE_CONTAINER = /\b(?:class|id)\s*=\s*["']?[^"'>]*(?:gmail_signature|moz-signature|AppleMailSignature|Signature)\b/;

const BLOCK_TAGS = new Set([
  'p', 'div', 'br', 'tr', 'li', 'ul', 'ol', 'table', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'blockquote', 'pre',
  'section', 'article', 'header', 'footer', 'address', 'dd', 'dt', 'dl', 'tbody', 'thead', 'center', 'form',
]);
const CELL_TAGS = new Set(['td', 'th']);
const SKIP_CONTENT = new Set(['style', 'script', 'head', 'title', 'xml', 'o:p']);

const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—', hellip: '…', rsquo: '’',
  lsquo: '‘', rdquo: '”', ldquo: '“', bull: '•', middot: '·', copy: '©', reg: '®', trade: '™', euro: '€',
  pound: '£', yen: '¥', sect: '§', deg: '°', times: '×', laquo: '«', raquo: '»', shy: '', zwnj: '', zwj: '',
  auml: 'ä', ouml: 'ö', uuml: 'ü', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', szlig: 'ß', eacute: 'é', egrave: 'è',
  ecirc: 'ê', aacute: 'á', agrave: 'à', acirc: 'â', iacute: 'í', oacute: 'ó', uacute: 'ú', ntilde: 'ñ',
  ccedil: 'ç', Eacute: 'É', oslash: 'ø', aring: 'å', aelig: 'æ', Oslash: 'Ø', Aring: 'Å', AElig: 'Æ',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);?/gi, (m, ent: string) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[ent] ?? ENTITIES[ent.toLowerCase()] ?? m;
  });
}

/** Converts an HTML mail body to text; quoted history is marked, never dropped. */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let line = '';
  let quoteDepth = 0;
  let skipDepth = 0;
  let preDepth = 0;
  // Open elements that started quoted history, by tag name, so the marker closes with them.
  const tagRe = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<!doctype[^>]*>|<(\/?)([a-zA-Z][\w:-]*)([^>]*)>/g;
  let last = 0;
  const flush = () => {
    const prefix = quoteDepth > 0 ? `${'> '.repeat(quoteDepth)}` : '';
    const text = line.replace(/[ \t\u00a0]+/g, ' ').trim();
    out.push(text ? prefix + text : prefix.trimEnd());
    line = '';
  };
  const emitText = (raw: string) => {
    if (skipDepth > 0 || !raw) return;
    const decoded = decodeEntities(raw);
    if (preDepth > 0) {
      const parts = decoded.split('\n');
      parts.forEach((p, i) => {
        if (i > 0) flush();
        line += p;
      });
    } else {
      line += decoded.replace(/\s+/g, ' ');
    }
  };
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(html))) {
    emitText(html.slice(last, m.index));
    last = tagRe.lastIndex;
    const name = m[2]?.toLowerCase();
    if (!name) continue;
    const closing = m[1] === '/';
    const attrs = m[3] ?? '';
    if (SKIP_CONTENT.has(name)) {
      if (!attrs.endsWith('/')) skipDepth = Math.max(0, skipDepth + (closing ? -1 : 1));
      continue;
    }
    if (skipDepth > 0) continue;
    if (name === 'pre') preDepth = Math.max(0, preDepth + (closing ? -1 : 1));
    if (name === 'blockquote') {
      flush();
      quoteDepth = Math.max(0, quoteDepth + (closing ? -1 : 1));
      continue;
    }
    if (!closing && (QUOTE_CONTAINER.test(attrs) || ZIMBRA_MARKER.test(attrs))) {
      flush();
      out.push(QUOTE_MARKER);
      continue;
    }
    if (!closing && name === 'hr' && /id\s*=\s*["']?stopSpelling/i.test(attrs)) {
      flush();
      out.push(QUOTE_MARKER);
      continue;
    }
    if (!closing && SIGNATURE_CONTAINER.test(attrs)) {
      flush();
      continue;
    }
    if (name === 'br') {
      flush();
    } else if (BLOCK_TAGS.has(name)) {
      if (line.trim()) flush();
      if (name === 'hr' && !closing) out.push('________________________________');
    } else if (CELL_TAGS.has(name) && closing) {
      line += ' | ';
    } else if (name === 'img' && !closing) {
      const alt = /\balt\s*=\s*["']([^"']*)["']/i.exec(attrs)?.[1];
      const text = alt ? decodeEntities(alt).trim() : '';
      if (/^[\p{L}\d&.,' -]{2,60}\s+logo$/iu.test(text)) {
        // "Lakeshore Foods logo": the company name, on a line of its own.
        flush();
        out.push(text.replace(/\s+logo$/i, ''));
      } else if (text && !/\b(image|logo|icon|signature|photo|pic|picture|headshot|portrait|avatar|banner|linkedin|twitter|facebook|instagram|youtube|xing|badge|award)\b|\.(png|jpe?g|gif)$/i.test(text)) {
        line += ` ${text} `;
      }
    }
  }
  emitText(html.slice(last));
  flush();
  // Tidy table cell separators and collapse blank runs.
  const lines = out.map((l) => l.replace(/(\s*\|\s*)+$/g, '').replace(/^(\s*\|\s*)+/g, '').replace(/(\s*\|\s*){2,}/g, ' | '));
  const tidy: string[] = [];
  for (const l of lines) {
    if (l.trim() === '' && (tidy.length === 0 || tidy[tidy.length - 1]!.trim() === '')) continue;
    tidy.push(l);
  }
  return tidy.join('\n').trim();
}
