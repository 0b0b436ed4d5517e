/**
 * Decides what a message is, in the order the standards demand: complaint (ARF, RFC 5965) →
 * bounce (DSN, RFC 3464, or a text bounce from an MTA) → unsubscribe (mail to our unsubscribe tag)
 * → auto-reply (RFC 3834 and vendor headers, subject prefixes, out-of-office wording) → human reply.
 * Every decision carries the signals that made it, for `mailops inspect`.
 */
import { header, type ParsedMail } from './parse.js';
import { EMAIL_IN_TEXT, normalizeEmail, isOwnAddress } from './normalize.js';

export type MessageKind = 'human' | 'auto-reply' | 'bounce' | 'complaint' | 'unsubscribe' | 'delivery-report';

export interface BounceRecipient {
  email: string;
  status: string | undefined;
  action: string | undefined;
  diagnostic: string | undefined;
  reason: BounceReason;
  hard: boolean;
}

export type BounceReason =
  | 'userunknown'
  | 'hostunknown'
  | 'hasmoved'
  | 'notaccept'
  | 'mailboxfull'
  | 'suspend'
  | 'filtered'
  | 'blocked'
  | 'spamdetected'
  | 'policyviolation'
  | 'rejected'
  | 'expired'
  | 'toomanyconn'
  | 'mesgtoobig'
  | 'systemerror'
  | 'networkerror'
  | 'securityerror'
  | 'onhold'
  | 'undefined';

export interface Classification {
  kind: MessageKind;
  /** Every signal that contributed, strongest first. */
  signals: string[];
  /** For auto-replies: out-of-office/vacation vs. left the company vs. other responder. */
  autoReplyType?: 'out-of-office' | 'left-company' | 'autoresponder';
  bounce?: { recipients: BounceRecipient[] };
  complaint?: { recipients: string[]; feedbackType: string | undefined };
}

export interface ClassifyContext {
  ownDomains: Set<string>;
  replyLocalpart: string;
}

// ---------------------------------------------------------------- helpers

function parseFieldBlocks(text: string): Array<Map<string, string>> {
  const blocks: Array<Map<string, string>> = [];
  for (const chunk of text.replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
    const map = new Map<string, string>();
    let lastKey: string | undefined;
    for (const line of chunk.split('\n')) {
      if (/^[ \t]/.test(line) && lastKey) {
        map.set(lastKey, `${map.get(lastKey)} ${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$/.exec(line);
      if (m) {
        lastKey = m[1]!.toLowerCase();
        if (!map.has(lastKey)) map.set(lastKey, m[2]!.trim());
      }
    }
    if (map.size) blocks.push(map);
  }
  return blocks;
}

function addressFromField(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const m = /^(?:rfc822|x-unknown|unknown)?\s*;?\s*<?([^<>\s;]+@[^<>\s;]+)>?/i.exec(v.trim());
  return normalizeEmail(m?.[1] ?? v);
}

const STATUS_RE = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
const REPLY_CODE_RE = /(?<![\d.])([245][0-9]{2})(?:[ -]|$)(?![.\d])/;

// Reason phrase tables: ordered, first match wins. Kept free of nested quantifiers (ReDoS-safe).
const REASON_PHRASES: Array<[BounceReason, RegExp]> = [
  ['mailboxfull', /mailbox (?:is )?full|over ?quota|quota (?:exceeded|exceed)|exceeded (?:its|the|storage|their)[^.]{0,20}(?:quota|allocation|limit)|storage (?:allocation|space)|insufficient (?:system )?storage|mailbox size limit|not enough (?:space|storage)|user is over|disk quota|mail ?box (?:has )?exceeded|is full|out of storage|quota limit|mailfolder is full|full mailbox/i],
  ['mesgtoobig', /message (?:is )?too (?:big|large)|exceeds? (?:the )?(?:maximum|max) (?:message )?size|size limit exceeded|message size exceeds|message length exceeds/i],
  ['spamdetected', /spam|junk mail|\bubes?\b|unsolicited|bulk mail|content rejected|message content|looks like|suspicious|phish/i],
  ['blocked', /blacklist|blocklist|block ?list|listed (?:in|on|at) (?:the )?(?:\S+ )?(?:bl|rbl|dnsbl|blacklist|blocklist|spamhaus|spamcop|barracuda)|\bdnsbl\b|\brbl\b|spamhaus|spamcop|barracuda|sorbs|\bbanned\b|reputation|poor reputation|rejected (?:due to|because of) (?:ip|your ip)|client host \S+ (?:blocked|rejected)|access denied|connection refused|not allowed to send|blocked/i],
  ['securityerror', /authentication required|\bauth(?:entication)? (?:failed|failure)|dmarc|\bspf\b|\bdkim\b|not authorized|unauthenticated|tls required|encryption required/i],
  ['toomanyconn', /too many (?:connections|concurrent|recipients|messages)|rate limit|rate-limit|throttl|try (?:again )?later|temporarily deferred|temporarily rate/i],
  ['suspend', /(?:account|mailbox|user) (?:is |has been )?(?:disabled|suspended|deactivated|inactive|locked|frozen|expired|closed)|inactive (?:account|user|mailbox)|(?:disabled|suspended|deactivated) (?:account|mailbox|user)|no longer (?:active|in use|available)|account (?:has been )?terminated/i],
  ['hasmoved', /has moved|address (?:has )?changed|moved to|no longer at this address|new address is/i],
  ['hostunknown', /host (?:or domain name )?(?:not found|unknown)|unknown host|domain (?:name )?(?:not found|does not exist|unknown)|name service error|no such domain|unrouteable (?:mail )?domain|unroutable domain|domain (?:is )?not (?:valid|configured)|no mx (?:record|host)|mx (?:record )?(?:not found|lookup failed)|dns (?:error|lookup failed)|nxdomain|could not resolve|unresolvable|host name lookup failure|invalid domain|domain .{0,40} not exist|domain is not reachable/i],
  ['notaccept', /does not accept mail|null mx|accepts no mail|not accept(?:ing)? (?:any )?(?:e-?)?mail/i],
  ['userunknown', /user (?:unknown|not found|doesn'?t exist|does not exist)|unknown user|no such (?:user|recipient|mailbox|address|account|person)|(?:mailbox|recipient|address|account|user ?name|e-?mail address|email account) (?:is )?(?:unknown|unavailable|not found|does not exist|doesn'?t exist|not exist|invalid|rejected|not valid|disabled or discontinued)|(?:unknown|invalid|bad|non-?existent|unrouteable) (?:recipient|mailbox|address|user|destination)|recipient (?:address )?rejected|address rejected|not a valid (?:mailbox|recipient|user)|mailbox unavailable|unrouteable address|invalid address|undeliverable address|no mailbox|does not have (?:a|an) (?:account|mailbox)|doesn'?t have (?:a|an)[^\n]{0,40}account|unknown (?:local[- ]part|address)|not listed in|no longer (?:with|employed)|deleted|recipient not|address not found|couldn'?t be found|could not be found|unable to find|addressee unknown|no valid recipients|not our customer|mailbox not|does not exist|doesn'?t exist|user (?:account )?is unavailable|unknown or illegal alias|bad destination|please check (?:if |that )?(?:the )?(?:recipient'?s? )?(?:e-?mail )?address|check the address|relay (?:access )?denied|relaying denied|not permitted to relay/i],
  ['networkerror', /connection (?:timed out|reset|lost)|network (?:error|unreachable)|no route to host|lost connection|timed out while/i],
  ['expired', /(?:delivery|message) (?:time ?out|timed out|expired)|retry (?:time|timeout) (?:not reached|exceeded)|could not be delivered (?:within|for)|giving up|has been delayed|delivery (?:has been )?delayed|will (?:be )?retr|still trying|temporarily unable|not yet been delivered|expired|too long in queue/i],
  ['systemerror', /system error|internal error|local error|server error|temporary (?:server )?(?:failure|error)|configuration error|mail loop|too many hops|routing loop/i],
  ['filtered', /filtered|rejected by (?:recipient|user|rule|filter)|refused|not accepted|denied/i],
  ['policyviolation', /policy|prohibited|not permitted|violat/i],
  ['rejected', /rejected|reject/i],
];

const STATUS_REASON: Record<string, BounceReason> = {
  '5.1.1': 'userunknown', '4.1.1': 'userunknown', '5.1.0': 'userunknown', '5.1.3': 'userunknown', '5.2.1': 'suspend',
  '5.1.2': 'hostunknown', '4.1.2': 'hostunknown', '5.4.4': 'hostunknown', '5.1.6': 'hasmoved', '5.1.10': 'notaccept',
  '5.2.2': 'mailboxfull', '4.2.2': 'mailboxfull', '5.3.4': 'mesgtoobig', '5.2.3': 'mesgtoobig', '4.4.7': 'expired',
  '5.4.7': 'expired', '4.4.1': 'networkerror', '4.4.2': 'networkerror', '5.7.1': 'rejected', '5.7.26': 'securityerror',
  '5.7.25': 'securityerror', '5.7.23': 'securityerror', '5.7.0': 'rejected', '4.7.0': 'blocked', '5.4.6': 'systemerror',
  '5.3.0': 'systemerror', '4.3.0': 'systemerror', '4.2.1': 'suspend', '5.0.0': 'undefined',
};

const HARD_REASONS = new Set<BounceReason>(['userunknown', 'hostunknown', 'hasmoved']);

/** The wording of a bounce without returned header lines (DKIM-Signature, Authentication-Results…). */
function humanPart(text: string, recipient: string): string {
  const cut = text.search(/^(?:-{2,}\s*)?(?:original message|returned message|below is a copy|message text follows|the original message|--- ?original|content-type: message\/rfc822|received: from)/im);
  const head = cut > 0 ? text.slice(0, cut) : text;
  const lines = head.split('\n').filter((l) => !/^(?:dkim-signature|authentication-results|arc-|received-spf|x-[\w-]+|list-[\w-]+|message-id|references|in-reply-to)\s*:/i.test(l.trim()));
  void recipient;
  return lines.join('\n');
}

const SENDER_SIDE = /sender (?:address )?(?:rejected|denied|refused|verify failed|domain)|domain of sender|sender (?:domain|address) (?:must|does not|is not|not)|mismatches client ip|improper sequence|bad sequence|syntax error|reverse (?:dns|lookup)|ptr record|helo|ehlo/i;

const FILTERED_FIRST = /refused due to recipient preferences|only accepting mail from|is not accepting (?:any )?mail|recipient (?:has )?restricted|rejected by recipient|user reject|refuse to receive|due to extended inactivity/i;
const DBEB_USERUNKNOWN = /recipient address rejected: access denied|recipientnotfound|address does not exist/i;
const GENERIC_UNKNOWN_USER = /^(?:[^a-z]*)(?:.*\b)?(?:unknown user|no such user|user unknown)\b/i;
const STRONG_USER = /no such user|invalid recipient|user unknown|unknown user|does not exist|doesn'?t exist|mailbox not found/i;
const DNS_TRANSIENT = /malformed or unexpected name server reply|name server (?:failure|timeout)|servfail|temporary (?:dns|lookup) failure|lookup (?:timed out|timeout)/i;

/** sisimai's policy: the flag follows the reason; notaccept is hard when the code is 5xx. */
export function bounceReason(status: string | undefined, diagnostic: string): { reason: BounceReason; hard: boolean } {
  let reason: BounceReason | undefined;
  let locked = false;
  const text = diagnostic.replace(/\s+/g, ' ').slice(0, 4000);
  const specific = status !== undefined && !/^[45]\.0\.0$/.test(status);
  // Precise status codes and sender-side rejections leave no room for wording.
  if (status === '5.1.10') reason = 'notaccept';
  else if (status === '5.1.6') reason = 'hasmoved';
  else if (status === '5.1.8' || status === '5.1.7' || SENDER_SIDE.test(text)) reason = 'rejected';
  else if (/\b50[13][ -]/.test(text) && !(status && /^5\.1\./.test(status)) && !STRONG_USER.test(text)) reason = 'rejected';
  else if (/account or domain may not exist|missing the proper dns/i.test(text)) reason = 'hostunknown';
  else if (FILTERED_FIRST.test(text)) reason = 'filtered';
  else if (DBEB_USERUNKNOWN.test(text)) reason = 'userunknown';
  else if (DNS_TRANSIENT.test(text)) reason = 'networkerror';
  else if (status && /^[45]\.2\.[0234]$/.test(status)) {
    reason = ({ '0': 'filtered', '2': 'mailboxfull', '3': 'mesgtoobig', '4': 'systemerror' } as const)[status.slice(-1) as '0'];
  }
  locked = reason !== undefined;
  if (!reason) {
    for (const [r, re] of REASON_PHRASES) {
      if (re.test(text)) {
        reason = r;
        break;
      }
    }
  }
  // "550 Unknown user" with no recipient-specific status is what content filters answer after DATA.
  if (!locked && reason === 'userunknown' && GENERIC_UNKNOWN_USER.test(text) && !specific) reason = 'filtered';
  // Wording that says "unknown user" under a content (x.6), system (x.3) or policy (x.7) status: the status wins.
  if (!locked && reason && HARD_REASONS.has(reason) && status && /^[45]\.[367]\.\d+$/.test(status) && !STRONG_USER.test(text)) {
    reason = status.split('.')[1] === '6' ? 'filtered' : status.split('.')[1] === '3' ? 'systemerror' : 'rejected';
  }
  if (!locked && reason === 'hostunknown' && (status?.startsWith('4') || /\b4\d\d\b/.test(text.slice(0, 40)))) reason = 'networkerror';
  if (!locked && (!reason || reason === 'rejected' || reason === 'filtered' || reason === 'policyviolation')) {
    const fromStatus = status && specific ? STATUS_REASON[status] : undefined;
    if (fromStatus && fromStatus !== 'undefined' && (!reason || HARD_REASONS.has(fromStatus))) reason = fromStatus;
  }
  reason = reason ?? (text.trim() ? 'onhold' : 'undefined');
  const code5 = status?.startsWith('5') || /\b5\d\d\b/.test(text);
  const hard = HARD_REASONS.has(reason) || (reason === 'notaccept' && !!code5);
  return { reason, hard };
}

// ---------------------------------------------------------------- Amazon SES notifications

interface SesNotification {
  notificationType?: string;
  eventType?: string;
  bounce?: { bounceType?: string; bounceSubType?: string; bouncedRecipients?: Array<{ emailAddress?: string; status?: string; diagnosticCode?: string; action?: string }> };
  complaint?: { complainedRecipients?: Array<{ emailAddress?: string }>; complaintFeedbackType?: string };
}

/** SES bounce/complaint/delivery notifications delivered by SNS as email: a JSON document in the body. */
function classifySes(mail: ParsedMail): Classification | undefined {
  const text = mail.text;
  const at = text.search(/"(?:notificationType|eventType)"\s*:\s*"(?:Bounce|Complaint|Delivery)"/);
  if (at < 0) return undefined;
  const start = text.lastIndexOf('{', at);
  let doc: SesNotification | undefined;
  for (let end = text.lastIndexOf('}'); end > start && !doc; end = text.lastIndexOf('}', end - 1)) {
    try {
      doc = JSON.parse(text.slice(start, end + 1).replace(/\r?\n\s*/g, '')) as SesNotification;
    } catch {
      /* try a shorter slice */
    }
  }
  const type = doc?.notificationType ?? doc?.eventType ?? /"(?:notificationType|eventType)"\s*:\s*"(\w+)"/.exec(text)?.[1];
  const signals = [`Amazon SES ${type} notification`];
  const emails = (list: Array<{ emailAddress?: string }> | undefined, re: RegExp) =>
    (list?.map((r) => normalizeEmail(r.emailAddress)) ?? [...text.matchAll(re)].map((m) => normalizeEmail(m[1]))).filter((e): e is string => !!e);
  if (type === 'Complaint') {
    return {
      kind: 'complaint',
      signals,
      complaint: { recipients: emails(doc?.complaint?.complainedRecipients, /"complainedRecipients"\s*:\s*\[\s*\{\s*"emailAddress"\s*:\s*"([^"]+)"/g), feedbackType: doc?.complaint?.complaintFeedbackType?.toLowerCase() },
    };
  }
  if (type === 'Delivery') return { kind: 'delivery-report', signals };
  const permanent = (doc?.bounce?.bounceType ?? /"bounceType"\s*:\s*"(\w+)"/.exec(text)?.[1]) === 'Permanent';
  const recipients: BounceRecipient[] = (doc?.bounce?.bouncedRecipients ?? []).flatMap((r) => {
    const email = normalizeEmail(r.emailAddress);
    if (!email) return [];
    const status = STATUS_RE.exec(r.status ?? '')?.[0] ?? STATUS_RE.exec(r.diagnosticCode ?? '')?.[0];
    const judged = bounceReason(status, r.diagnosticCode ?? doc?.bounce?.bounceSubType ?? '');
    // SES says "Permanent/General" for unknown users; its Transient bounces are never hard.
    const hard = permanent ? judged.hard || /general|noemail|suppressed/i.test(doc?.bounce?.bounceSubType ?? '') : false;
    return [{ email, status, action: r.action, diagnostic: r.diagnosticCode, reason: judged.reason, hard }];
  });
  return { kind: 'bounce', signals, bounce: { recipients } };
}

// ---------------------------------------------------------------- complaint

function classifyComplaint(mail: ParsedMail): Classification | undefined {
  const signals: string[] = [];
  const fbPart = mail.parts.find((p) => p.contentType === 'message/feedback-report');
  const isReport = mail.contentType === 'multipart/report' && mail.reportType === 'feedback-report';
  let fields: Map<string, string> | undefined;
  if (fbPart) fields = parseFieldBlocks(fbPart.content.toString('utf8'))[0];
  if (isReport) signals.push('Content-Type multipart/report; report-type=feedback-report');
  if (fbPart) signals.push('message/feedback-report part');
  if (!fields) {
    // Some providers inline the feedback fields in the text.
    const inline = parseFieldBlocks(mail.text).find((b) => b.has('feedback-type') && (b.has('user-agent') || b.has('version')));
    if (inline) {
      fields = inline;
      signals.push('Feedback-Type fields in the body');
    }
  }
  const subject = mail.subject.toLowerCase();
  const fromAddr = mail.from?.address.toLowerCase() ?? '';
  if (!signals.length) {
    if (/complaint about message from/.test(subject) && /(staff@hotmail\.com|complaints@.*amazonses\.com|abuse)/.test(fromAddr)) {
      signals.push('provider complaint notice (Hotmail JMRP / SES)');
    } else if (/^true$/i.test(header(mail, 'x-apple-unsubscribe') ?? '')) {
      signals.push('X-Apple-Unsubscribe: true');
    } else {
      return undefined;
    }
  }
  const recipients = new Set<string>();
  const rcpt = fields?.get('original-rcpt-to') ?? fields?.get('removal-recipient');
  if (rcpt) for (const r of rcpt.split(/[,\s]+/)) {
    const e = addressFromField(r);
    if (e) recipients.add(e);
  }
  // Several Original-Rcpt-To lines.
  if (fbPart) {
    for (const m of fbPart.content.toString('utf8').matchAll(/^(?:original-rcpt-to|removal-recipient)\s*:\s*(.+)$/gim)) {
      const e = addressFromField(m[1]);
      if (e) recipients.add(e);
    }
  }
  if (!recipients.size) {
    // The reported message's To: header, from the attached original.
    const original = mail.parts.find((p) => p.contentType === 'message/rfc822' || p.contentType === 'text/rfc822-headers');
    const src = original?.content.toString('utf8') ?? mail.text;
    const to = /^to:\s*(.+)$/im.exec(src.split(/\n\s*\n/).find((b) => /^to:/im.test(b)) ?? '')?.[1];
    for (const m of (to ?? '').matchAll(EMAIL_IN_TEXT)) {
      const e = normalizeEmail(m[0]);
      if (e) recipients.add(e);
    }
  }
  return {
    kind: 'complaint',
    signals,
    complaint: { recipients: [...recipients], feedbackType: fields?.get('feedback-type')?.toLowerCase() },
  };
}

// ---------------------------------------------------------------- bounce

const DAEMON_FROM = /^(?:mailer[-_]?daemon|post_?master|mail-daemon|maildaemon|mmdf|smtp-gateway|mail delivery (?:sub)?system|mail administrator|bounces?|nobody|mdaemon|returned|mail-?router|mailadmin)(?:@|$|\b)|mailer-daemon|post_?master@|^root@/i;
const DAEMON_NAME = /mailer[-_ ]?daemon|mail delivery|post_?master|delivery (?:status|subsystem|system)|mail ?system|mail administrator/i;
const ERRORISH = /\b(?:error|fail(?:ed|ure)?|unable|undeliver\w*|reject\w*|unknown|invalid|not (?:found|exist)|denied|refused|expired|could not|couldn't|bounced?)\b/i;
const BOUNCE_SUBJECT =
  /undeliver|undelivered|delivery (?:status )?notification|delivery (?:has )?failed|delivery failure|failure notice|returned mail|return(?:ed)? to sender|mail delivery failed|non[- ]?delivery|could not be delivered|not delivered|delivery problem|permanent error|delivery report|mail system error|mail could not|message not delivered|nicht zustellbar|unzustellbar|non remis|onbestelbaar|no se puede entregar|non recapitabile|rejected|delivery warning|delayed mail|delivery delayed|warning: could not send|mail failure|failed delivery|bounce|unable to deliver|kan niet worden bezorgd|olevererbart|levering mislykkedes|nao entregue|notification d'état de la distribution|errore di consegna|mail failed|returning to sender|error sending|trouble delivering|delivery error|mail error|エラー|不達|未達|送信できません/i;
const BOUNCE_BODY =
  /this is the mail system at host|i'm afraid i wasn't able to deliver|i'm sorry to have to inform you|the following addresses? had (?:permanent )?(?:fatal )?errors|delivery to the following recipients? (?:failed|has been delayed)|this message was created automatically by mail delivery software|message could not be delivered|your message (?:could not|did not|wasn't|was not) (?:be )?(?:delivered|reach)|could not be delivered to|unable to deliver|delivery has failed to these recipients|your message to .{1,100} couldn't be delivered|the email account that you tried to reach|hi\. this is the qmail-send program|this is an automatically generated delivery status notification|permanent fatal errors|transcript of session follows|undeliverable|delivery failure|a message that you sent could not be delivered|could not deliver|failed to deliver|smtp error from remote|----- the following addresses had|recipient address rejected|user unknown|mailbox unavailable|returned mail|delivery status notification|no valid recipients|trouble delivering|the following addresses had|following list of recipients|invalid (?:user|recipient) address|could not be sent|送信できませんでした/i;

function classifyBounce(mail: ParsedMail, ctx: ClassifyContext): Classification | undefined {
  const signals: string[] = [];
  const dsnPart = mail.parts.find((p) => p.contentType === 'message/delivery-status' || p.contentType === 'message/global-delivery-status');
  const isReport = mail.contentType === 'multipart/report' && (mail.reportType === 'delivery-status' || mail.reportType === 'global-delivery-status');
  const fromAddr = `${mail.from?.name ?? ''} ${mail.from?.address ?? ''}`.trim();
  const nullSender = /^<\s*>$/.test(header(mail, 'return-path') ?? '') || !mail.from?.address;
  const fromDaemon = DAEMON_FROM.test(mail.from?.address ?? '') || DAEMON_NAME.test(mail.from?.name ?? '') || (!mail.from?.address && nullSender);
  const failedHeader = header(mail, 'x-failed-recipients');
  const subjectHit = BOUNCE_SUBJECT.test(mail.subject);
  const bodyHead = mail.text.slice(0, 6000);
  const bodyHit = BOUNCE_BODY.test(bodyHead);

  if (dsnPart) signals.push('message/delivery-status part');
  if (isReport) signals.push('Content-Type multipart/report; report-type=delivery-status');
  if (failedHeader) signals.push('X-Failed-Recipients header');
  if (fromDaemon) signals.push(`From ${fromAddr || 'mailer-daemon'}`);
  if (subjectHit) signals.push(`bounce subject "${mail.subject.slice(0, 60)}"`);
  if (bodyHit) signals.push('bounce wording in the body');

  // DSN fields written inline (broken MIME, or a report forwarded as text).
  const nested = mail.parts
    .filter((p) => /^(?:message\/rfc822|text\/rfc822-headers|message\/global)/.test(p.contentType))
    .map((p) => p.content.toString('utf8').slice(0, 20000))
    .join('\n');
  const inlineDsn = !dsnPart ? parseFieldBlocks(`${bodyHead}\n\n${nested}`).filter((b) => b.has('final-recipient') && (b.has('status') || b.has('action'))) : [];
  if (inlineDsn.length) signals.push('delivery-status fields in the body');
  const structural = !!dsnPart || isReport || !!failedHeader || inlineDsn.length > 0;
  const isReply = /^(re|aw|sv|antw|r|rif)\s*:/i.test(mail.subject);
  const textual =
    (fromDaemon && (subjectHit || bodyHit || (ERRORISH.test(bodyHead.slice(0, 2000)) && (bodyHead.match(EMAIL_IN_TEXT)?.length ?? 0) > 0))) ||
    (nullSender && subjectHit && (bodyHit || ERRORISH.test(bodyHead.slice(0, 2000)))) ||
    (nullSender && bodyHit && !isReply && ERRORISH.test(bodyHead.slice(0, 2000))) ||
    (subjectHit && bodyHit && !isReply);
  if (!structural && !textual) return undefined;

  const recipients: BounceRecipient[] = [];
  let anyFailure = false;
  if (dsnPart || inlineDsn.length) {
    const blocks = dsnPart ? parseFieldBlocks(dsnPart.content.toString('utf8')) : inlineDsn;
    for (const b of blocks) {
      const email = addressFromField(b.get('final-recipient') ?? b.get('original-recipient') ?? b.get('x-actual-recipient'));
      if (!email) continue;
      const action = b.get('action')?.toLowerCase();
      const statusRaw = b.get('status');
      const diag = b.get('diagnostic-code') ?? '';
      const fieldStatus = STATUS_RE.exec(statusRaw ?? '')?.[0];
      const diagStatus = STATUS_RE.exec(diag)?.[0];
      // A generic x.0.0 in the Status field is refined by a specific code in the diagnostic.
      const status = fieldStatus && !(/\.0\.0$/.test(fieldStatus) && diagStatus) ? fieldStatus : (diagStatus ?? fieldStatus);
      if (action && /^(delivered|relayed|expanded)/.test(action)) continue;
      anyFailure = true;
      const context = diag || humanPart(bodyHead, email);
      const { reason, hard } = bounceReason(status, context);
      if (!recipients.some((r) => r.email === email)) recipients.push({ email, status, action, diagnostic: diag || undefined, reason, hard });
    }
    if (!anyFailure && blocks.some((b) => /^(delivered|relayed|expanded)/i.test(b.get('action') ?? ''))) {
      return { kind: 'delivery-report', signals: [...signals, 'every recipient Action: delivered/relayed'] };
    }
  }
  if (!recipients.length) {
    // Text bounce: the failed address from X-Failed-Recipients, else the best-scored address in the text.
    const picked = pickFailedRecipient(mail, failedHeader, ctx);
    const status = STATUS_RE.exec(bodyHead)?.[0];
    const idx = picked ? bodyHead.toLowerCase().indexOf(picked) : -1;
    const near = humanPart(idx >= 0 ? bodyHead.slice(Math.max(0, idx - 300), idx + 800) : bodyHead, picked ?? '');
    const nearStatus = STATUS_RE.exec(near)?.[0];
    const { reason, hard } = bounceReason(nearStatus ?? status, near);
    if (picked) {
      const diagLine = near.split('\n').find((l) => REPLY_CODE_RE.test(l) || STATUS_RE.test(l))?.trim();
      recipients.push({ email: picked, status: nearStatus ?? status, action: 'failed', diagnostic: diagLine, reason, hard });
    }
  }
  return { kind: 'bounce', signals, bounce: { recipients } };
}

const HEADER_LINE = /^\s*(?:from|return-path|reply-to|sender|received|message-id|in-reply-to|references|x-[\w-]+|dkim-signature|envelope-from|errors-to|resent-from|list-[\w-]+)\s*:/i;
const ERROR_LINE = /\b(?:unknown|no such|not found|does not exist|doesn't exist|invalid|rejected|refused|denied|disabled|full|quota|unavailable|unrouteable|failed|failure|error|unable|expired|could not|couldn't|undeliverable|bounced?)\b|\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b/i;
const RECIPIENT_SECTION = /(?:following (?:addresses|address|recipients?)|recipients? (?:failed|list)|failed (?:addresses|recipients)|could not be delivered to|delivery to the following|undeliverable to|unable to deliver (?:your message )?to|to the following|addressee|original[- ]recipient|final[- ]recipient)/i;

/** Scores every address in a text bounce; the failed recipient is near error wording, never the original sender. */
function pickFailedRecipient(mail: ParsedMail, failedHeader: string | undefined, ctx: ClassifyContext): string | undefined {
  if (failedHeader) {
    for (const m of failedHeader.matchAll(EMAIL_IN_TEXT)) {
      const e = normalizeEmail(m[0]);
      if (e) return e;
    }
  }
  const exclude = new Set<string>();
  for (const a of [...mail.to, ...mail.cc, ...(mail.from ? [mail.from] : [])]) {
    const e = normalizeEmail(a.address);
    if (e) exclude.add(e);
  }
  const text = mail.text.slice(0, 20000);
  const lines = text.split('\n');
  const scores = new Map<string, number>();
  let section = 0;
  let inReturned = false;
  lines.forEach((line, i) => {
    if (RECIPIENT_SECTION.test(line)) section = 4;
    if (/^\s*(?:-{2,}.*(?:original message|returned message|message text|undelivered message|headers of|below is a copy)|content-type: message\/rfc822)/i.test(line)) inReturned = true;
    for (const m of line.matchAll(EMAIL_IN_TEXT)) {
      const e = normalizeEmail(m[0]);
      if (!e || exclude.has(e) || /^mailer[-_]?daemon@/i.test(e) || isOwnAddress(e, ctx.ownDomains) || e.startsWith(`${ctx.replyLocalpart}+`)) continue;
      let score = 1;
      if (HEADER_LINE.test(line)) score -= 3;
      if (/^\s*to\s*:/i.test(line)) score += inReturned ? 2 : 1;
      if (ERROR_LINE.test(line) || ERROR_LINE.test(lines[i + 1] ?? '')) score += 3;
      if (/^\s*<?[^\s<>]+@[^\s<>]+>?\s*(?::|\.\.\.|$)/.test(line)) score += 2;
      if (section > 0) score += 2;
      if (inReturned) score -= 1;
      scores.set(e, Math.max(scores.get(e) ?? -99, score) + 0.01);
    }
    if (section > 0 && line.trim()) section--;
  });
  let best: string | undefined;
  let bestScore = 0;
  for (const [e, sc] of scores) if (sc > bestScore) [best, bestScore] = [e, sc];
  return best;
}

// ---------------------------------------------------------------- auto-reply

const AUTO_SUBJECT =
  /^\s*(?:\[[^\]]*\]\s*)?(?:auto(?:matic|matische?|matisk|maattinen|mated)?[ -]?(?:reply|response|antwort|svar|vastaus|respuesta|risposta|resposta|réponse|antwoord|odpowiedź|odpověď)|auto(?:reply|response|responder)|auto:|autosvar|automatisk svar|automatisch antwoord|out of (?:the )?office|ooo\b|abwesenheit|abwesenheitsnotiz|abwesend|réponse automatique|respuesta automática|risposta automatica|risposta non al computer|resposta automática|fuori sede|frånvaro|fraværende|afwezig|ikke til stede|poza biurem|absent|absence|vacation|on vacation|on leave|away from (?:the )?office|i am out|i'm out|currently out|inaktiv|empfangsbestätigung|thank you for (?:your )?(?:e-?mail|message|contacting)|we have received your|ticket (?:received|created)|request received)/i;
const LEFT_COMPANY =
  /\b(?:no longer (?:with|at|employed|working|part of|works? (?:for|at)|in (?:the|this) (?:role|position))|(?:has|have) left (?:the company|the firm|the organi[sz]ation|us|\p{Lu})|(?:is|am) no longer|left (?:the company|the organi[sz]ation)|last day (?:at|with|was)|mailbox (?:is )?no longer (?:monitored|active|in use)|this (?:e-?mail )?(?:address|account|mailbox) (?:is )?(?:no longer|not) (?:monitored|active|in use)|nicht mehr (?:im unternehmen|bei|für|tätig)|hat das unternehmen verlassen|ne fait plus partie|a quitté|ya no (?:trabaja|forma parte|está)|non fa più parte|não faz mais parte|werkt niet meer)/iu;
const OOO_BODY =
  /\b(?:(?:i am|i'm|i will be|i'll be|i shall be|we are|i'm currently|i am currently|currently)\s+(?:currently\s+)?(?:out of (?:the )?office|ooo|away|on (?:annual |parental |maternity |paternity |sick |medical )?(?:leave|vacation|holiday|holidays|business travel|pto)|travel(?:l)?ing|attending|off (?:work|until)|out (?:until|from|on)|not in the office|away from (?:the )?office|on the road)|(?:out of (?:the )?office|on (?:annual )?leave|on vacation|on holiday|away) (?:until|till|through|from|and will return|returning)|(?:will|shall) (?:be )?(?:return|back)(?:ing)? (?:on|to the office|in the office)|limited (?:access to|availability)|(?:with|have) (?:no|limited) access to (?:my )?e-?mail|will respond (?:to your (?:e-?mail|message) )?(?:upon|when|as soon as|on) (?:my )?return|ich bin (?:bis|vom|ab|derzeit|zurzeit|momentan|nicht)|bin (?:ich )?(?:bis|vom) .{0,40} (?:nicht im büro|abwesend|im urlaub)|nicht im büro|außer haus|im urlaub|je suis (?:absent|absente|en congés?|en vacances|actuellement absent)|je serai de retour|estoy (?:fuera|de vacaciones|ausente)|sono (?:fuori|in ferie|assente)|estou (?:fora|de férias|ausente)|ben (?:afwezig|met vakantie)|jag är (?:ledig|på semester|borta)|jeg er (?:på ferie|fraværende|ikke på kontoret))/i;
const PAST_ONLY = /\b(?:was|were|had been|last week|yesterday|got back|returned|am back|i'm back|back in the office now|just back)\b/i;

function classifyAutoReply(mail: ParsedMail, newText: string): Classification | undefined {
  const strong: string[] = [];
  const weak: string[] = [];
  const autoSubmitted = header(mail, 'auto-submitted')?.toLowerCase();
  if (autoSubmitted && !/^no\b/.test(autoSubmitted)) strong.push(`Auto-Submitted: ${autoSubmitted}`);
  for (const h of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-autoreply-from', 'x-mail-autoreply', 'x-autogenerated', 'x-auto-reply']) {
    const v = header(mail, h);
    if (v !== undefined && !/^(no|false|0)$/i.test(v)) strong.push(`${h} header`);
  }
  const precedence = header(mail, 'precedence')?.toLowerCase();
  if (precedence === 'auto_reply' || precedence === 'auto-reply') strong.push(`Precedence: ${precedence}`);
  else if (precedence && /^(bulk|junk|list)$/.test(precedence)) weak.push(`Precedence: ${precedence}`);
  if (/vacation/i.test(header(mail, 'x-apple-action') ?? '')) strong.push('X-Apple-Action: vacation');
  if (header(mail, 'x-ms-exchange-inbox-rules-loop')) weak.push('X-MS-Exchange-Inbox-Rules-Loop');
  const suppress = header(mail, 'x-auto-response-suppress');
  if (suppress && /\ball\b/i.test(suppress)) weak.push('X-Auto-Response-Suppress: All');
  if (header(mail, 'x-ms-exchange-generated-message-source') || header(mail, 'x-ms-exchange-organization-autoreply')) strong.push('Exchange generated autoreply header');
  const returnPath = header(mail, 'return-path');
  if (returnPath !== undefined && /^<\s*>$/.test(returnPath)) weak.push('Return-Path: <>');
  const subjectHit = AUTO_SUBJECT.test(mail.subject);
  if (subjectHit) strong.push(`auto-reply subject "${mail.subject.slice(0, 60)}"`);
  const head = newText.slice(0, 3000);
  const left = LEFT_COMPANY.test(head);
  const oooText = OOO_BODY.exec(head);
  // A human who writes "I was out last week" is not an auto-reply: the wording must be about now.
  const oooSentence = oooText ? head.slice(Math.max(0, head.lastIndexOf('.', oooText.index) + 1), oooText.index + oooText[0].length + 60) : '';
  const bodyOOO = !!oooText && !PAST_ONLY.test(oooSentence);
  const isReplySubject = /^\s*(re|aw|sv|antw|r|rif|réf|vs|odp)\s*:/i.test(mail.subject);
  if (bodyOOO) weak.push('out-of-office wording in the body');
  if (left) weak.push('"no longer with the company" wording');

  let decided = strong.length > 0;
  // Body wording alone decides only when the message is short and not a conversational "Re:".
  if (!decided && (bodyOOO || left) && (weak.length >= 2 || (!isReplySubject && newText.length < 1500))) decided = true;
  if (!decided) return undefined;
  const autoReplyType = left ? 'left-company' : bodyOOO || /out of|abwesen|absen|vacation|urlaub|leave|ooo|fuori|frånvaro|afwezig|automatic reply|automatische antwort|réponse automatique/i.test(mail.subject + head) ? 'out-of-office' : 'autoresponder';
  return { kind: 'auto-reply', signals: [...strong, ...weak], autoReplyType };
}

// ---------------------------------------------------------------- entry point

export function isUnsubscribeAddress(email: string, ctx: ClassifyContext): boolean {
  const e = email.toLowerCase();
  return e.startsWith(`${ctx.replyLocalpart.toLowerCase()}+unsubscribe`) && (ctx.ownDomains.size === 0 || isOwnAddress(e, ctx.ownDomains));
}

export function classify(mail: ParsedMail, newText: string, ctx: ClassifyContext, recipientAddresses: string[]): Classification {
  const ses = /amazonses\.com|amazonaws\.com/i.test(`${mail.from?.address ?? ''} ${header(mail, 'return-path') ?? ''}`) ? classifySes(mail) : undefined;
  if (ses) return ses;
  const complaint = classifyComplaint(mail);
  if (complaint) return complaint;
  const bounce = classifyBounce(mail, ctx);
  if (bounce) return bounce;
  const unsub = recipientAddresses.find((a) => isUnsubscribeAddress(a, ctx));
  if (unsub) return { kind: 'unsubscribe', signals: [`sent to our unsubscribe address ${unsub}`] };
  const auto = classifyAutoReply(mail, newText);
  if (auto) return auto;
  return { kind: 'human', signals: ['no bounce, complaint or auto-reply signal'] };
}
