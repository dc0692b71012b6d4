/**
 * Server-sent read receipts: the MDNs (RFC 8098) that Exchange's POP3/IMAP4 services send when
 * a message asking for one (Disposition-Notification-To) is downloaded for the first time,
 * unless `suppress-read-receipt` is true for that protocol.
 *
 * - decideReadReceipt: the RFC 8098 §2.1/§9 checks on the message header (one well-formed
 *   address, Return-Path absent or the same address, not itself an MDN or a bounce).
 * - buildMdn: the multipart/report; report-type=disposition-notification message.
 * - createReadReceipts: the per-protocol sender the IMAP FETCH and POP3 RETR paths call. It
 *   never makes the client wait: work runs in the background, one message after the other.
 *   `$MDNSent` (RFC 3503) is set before sending, atomically (only the session whose STORE
 *   changed it sends), so a message gets at most one MDN from the server.
 *   Local recipients get the MDN in their INBOX, others through the outbound queue with a
 *   null envelope sender; while the queue is not running (submission disabled) nothing is
 *   sent and nothing is marked.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/log.js';
import { parseAddressList } from '../message/addresses.js';
import { decodeHeaderValue, fieldRawValue, fieldValueBytes, scanHeaderBlock, type HeaderField } from '../message/headers.js';
import { parseContentType } from '../message/params.js';
import type { MailStore, MessageRecord } from '../store/store.js';
import type { MailboxService, UserMailboxes } from './types.js';

export const MDN_SENT_KEYWORD = '$MDNSent';

/** Headers read from the stored message: enough for every real one, bounded for hostile ones. */
const MAX_HEADER_BYTES = 256 * 1024;
const MAX_ADDRESS_LENGTH = 320;

export type SkipReason =
  | 'not-requested'
  | 'malformed-request'
  | 'several-addresses'
  | 'report'
  | 'null-return-path'
  | 'return-path-mismatch';

export type ReceiptDecision = { send: true; notifyTo: string } | { send: false; reason: SkipReason };

/** True for FETCH sections that download message content (BODY[], RFC822, BODY[TEXT], BODY[1]). */
export function isDownloadSection(spec: string): boolean {
  return spec === '' || spec === 'TEXT';
}

function fieldsNamed(buf: Buffer, fields: HeaderField[], name: string): string[] {
  return fields.filter((f) => f.name === name).map((f) => fieldRawValue(buf, f).trim());
}

/** A plain ASCII addr-spec we can put in an SMTP envelope, else null. */
function usableAddress(mailbox: string | null, host: string | null): string | null {
  if (!mailbox || !host || mailbox === 'MISSING_MAILBOX' || host === 'MISSING_DOMAIN' || host === '.MISSING-HOST-NAME.') return null;
  const addr = `${mailbox}@${host}`;
  if (addr.length > MAX_ADDRESS_LENGTH || !/^[\x21-\x7e]+$/.test(addr) || /[<>()[\]\\,;:"]/.test(addr)) return null;
  return addr;
}

function sameAddress(a: string, b: string): boolean {
  const at = (s: string): [string, string] => {
    const i = s.lastIndexOf('@');
    return [s.slice(0, i), s.slice(i + 1).toLowerCase()];
  };
  const [la, da] = at(a);
  const [lb, db] = at(b);
  return la === lb && da === db;
}

/** The RFC 8098 §2.1 / §9 checks on a message's header block (raw bytes up to the blank line). */
export function decideReadReceipt(header: Buffer): ReceiptDecision {
  const { fields } = scanHeaderBlock(header, 0, header.length);
  const requests = fieldsNamed(header, fields, 'disposition-notification-to');
  if (requests.length === 0) return { send: false, reason: 'not-requested' };
  // Never answer a report (an MDN or a DSN) or a bounce: no loops.
  const ct = fields.find((f) => f.name === 'content-type');
  const type = ct ? parseContentType(fieldRawValue(header, ct)) : null;
  if (type && type.type.toLowerCase() === 'multipart' && type.subtype.toLowerCase() === 'report') return { send: false, reason: 'report' };
  const returnPaths = fieldsNamed(header, fields, 'return-path');
  const returnPath = returnPaths.length ? /^<?\s*([^<>]*?)\s*>?$/.exec(returnPaths[0])?.[1] ?? null : undefined;
  if (returnPath === '') return { send: false, reason: 'null-return-path' };
  if (requests.length > 1) return { send: false, reason: 'several-addresses' };
  const list = parseAddressList(requests[0]);
  if (!list) return { send: false, reason: 'malformed-request' };
  if (list.length > 1) return { send: false, reason: 'several-addresses' };
  const notifyTo = usableAddress(list[0].mailbox, list[0].host);
  if (!notifyTo) return { send: false, reason: 'malformed-request' };
  if (returnPath !== undefined && (returnPath === null || !sameAddress(returnPath, notifyTo))) return { send: false, reason: 'return-path-mismatch' };
  return { send: true, notifyTo };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function rfc5322Date(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function oneLine(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, max);
}

/** RFC 2047 encoded words (UTF-8, base64) for a header value that is not plain ASCII. */
function encodeWords(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

export interface MdnInput {
  /** Our host name (smtp fqdn): Reporting-UA and the Message-ID domain. */
  reportingHost: string;
  /** The user whose message was displayed (Final-Recipient, From). */
  recipient: string;
  /** The Disposition-Notification-To address. */
  notifyTo: string;
  /** The original message's header block. */
  originalHeader: Buffer;
  now?: Date;
}

/** Builds the MDN (CRLF line ends): RFC 8098 §3, disposition automatic-action/MDN-sent-automatically; displayed. */
export function buildMdn(input: MdnInput): Buffer {
  const now = input.now ?? new Date();
  const header = input.originalHeader;
  const { fields } = scanHeaderBlock(header, 0, header.length);
  const first = (name: string): string | null => {
    const f = fields.find((x) => x.name === name);
    return f ? oneLine(fieldRawValue(header, f), 998) : null;
  };
  const host = oneLine(input.reportingHost, 253).replace(/[^A-Za-z0-9.-]/g, '') || 'localhost';
  const messageId = first('message-id');
  const cleanId = messageId && /^<[\x21-\x7e]+>$/.test(messageId) && messageId.length <= 998 ? messageId : null;
  const subjectField = fields.find((x) => x.name === 'subject');
  const subject = subjectField ? oneLine(decodeHeaderValue(fieldValueBytes(header, subjectField)), 400) : '';
  const originalRecipient = first('original-recipient');
  const boundary = `=_portcullis_mdn_${randomBytes(12).toString('hex')}`;
  const recipient = oneLine(input.recipient, MAX_ADDRESS_LENGTH);
  const lines: string[] = [
    `From: <${recipient}>`,
    `To: <${oneLine(input.notifyTo, MAX_ADDRESS_LENGTH)}>`,
    `Subject: ${encodeWords(subject ? `Read: ${subject}` : 'Read receipt')}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <mdn.${randomBytes(10).toString('hex')}@${host}>`,
  ];
  if (cleanId) lines.push(`In-Reply-To: ${cleanId}`, `References: ${cleanId}`);
  lines.push(
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=disposition-notification; boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message disposition notification.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `The message${subject ? ` "${subject}"` : ''} sent to ${recipient} was downloaded by the`,
    `recipient's mail client on ${rfc5322Date(now)}.`,
    '',
    'This receipt was sent automatically by the mail server. It does not mean that the message',
    'has been read or understood.',
    '',
    `--${boundary}`,
    'Content-Type: message/disposition-notification',
    '',
    `Reporting-UA: ${host}; Portcullis`,
  );
  if (originalRecipient && /^[A-Za-z0-9-]+;\s*[\x21-\x7e]+$/.test(originalRecipient)) lines.push(`Original-Recipient: ${originalRecipient}`);
  lines.push(`Final-Recipient: rfc822; ${recipient}`);
  if (cleanId) lines.push(`Original-Message-ID: ${cleanId}`);
  lines.push('Disposition: automatic-action/MDN-sent-automatically; displayed', '', `--${boundary}`, 'Content-Type: text/rfc822-headers', '');
  const head = header.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, '');
  return Buffer.concat([
    Buffer.from(lines.join('\r\n') + '\r\n', 'utf8'),
    Buffer.from(head + '\r\n', 'latin1'),
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  ]);
}

/** Where remote MDNs go: the outbound queue (structurally smtp/queue.ts's OutboundQueue). */
export interface MdnTransport {
  enqueue(input: { from: string; to: string[]; raw: Buffer }): Promise<string>;
}

export interface ReadReceiptsDeps {
  protocol: 'imap4' | 'pop3';
  /** The protocol's suppress-read-receipt setting (read at every download). */
  suppressed: () => boolean;
  /** The outbound queue while it runs (submission enabled), else null. */
  transport: () => MdnTransport | null;
  /** Local delivery of MDNs to local users. */
  mailboxes: Pick<MailboxService, 'deliver'>;
  /** Tells local recipients from remote ones. */
  accounts: Pick<MailStore, 'getAccount'>;
  /** Our host name (the smtp fqdn). */
  reportingHost: () => string;
  logger: Logger;
}

export interface DownloadOptions {
  /** Skip messages already \Seen (POP3 RETR: \Seen is only set at QUIT, so the caller cannot tell). */
  unlessSeen?: boolean;
}

export interface ReadReceipts {
  /**
   * Messages of `mailboxId` were just downloaded for the first time (IMAP: FETCH set \Seen;
   * POP3: RETR). Returns at once; never throws.
   */
  downloaded(user: UserMailboxes, mailboxId: number, uids: readonly number[], opts?: DownloadOptions): void;
  /** Resolves when the work started so far is done (tests, graceful stop). */
  idle(): Promise<void>;
}

export function createReadReceipts(deps: ReadReceiptsDeps): ReadReceipts {
  const log = deps.logger.child({ component: 'read-receipts', protocol: deps.protocol });
  let chain: Promise<void> = Promise.resolve();
  let reportedNoQueue = false;

  const one = async (user: UserMailboxes, mailboxId: number, uid: number, opts: DownloadOptions): Promise<void> => {
    let record: MessageRecord | null = null;
    for await (const batch of user.fetchRecords(mailboxId, [{ from: uid, to: uid }])) record = batch.find((r) => r.uid === uid) ?? record;
    if (!record || record.flags.includes(MDN_SENT_KEYWORD)) return;
    if (opts.unlessSeen && record.flags.includes('\\Seen')) return;
    // Cheap first look in the indexed header fields; the raw header is read only on a request.
    const parsed = await user.getParsed(mailboxId, uid);
    if (!parsed || !parsed.search.headers.some(([name]) => name === 'disposition-notification-to')) return;
    const header = await user.readBlob(record.blobId, 0, Math.min(parsed.root.bodyStart, MAX_HEADER_BYTES));
    const decision = decideReadReceipt(header);
    if (!decision.send) {
      if (decision.reason !== 'not-requested') log.info('read-receipt.skipped', { user: user.account.address, uid, reason: decision.reason });
      return;
    }
    const transport = deps.transport();
    if (!transport) {
      if (!reportedNoQueue) log.warn('read-receipt.no-queue', { detail: 'submission is disabled, so the outbound queue is not running: read receipts are not sent' });
      reportedNoQueue = true;
      return;
    }
    reportedNoQueue = false;
    // Test-and-set: only the download whose STORE added $MDNSent sends (at most once, RFC 8098 §2.1).
    const res = await user.storeFlags(mailboxId, [uid], 'add', [MDN_SENT_KEYWORD]);
    if (!res.updated.some((r) => r.uid === uid)) return;
    const mdn = buildMdn({ reportingHost: deps.reportingHost(), recipient: user.account.address, notifyTo: decision.notifyTo, originalHeader: header });
    if (await deps.accounts.getAccount(decision.notifyTo)) {
      await deps.mailboxes.deliver(decision.notifyTo, mdn);
      log.info('read-receipt.sent', { user: user.account.address, uid, to: decision.notifyTo, via: 'local' });
    } else {
      // RFC 8098 §2.1: the envelope sender of an MDN is null (<>).
      const id = await transport.enqueue({ from: '', to: [decision.notifyTo], raw: mdn });
      log.info('read-receipt.sent', { user: user.account.address, uid, to: decision.notifyTo, via: 'queue', queueId: id });
    }
  };

  return {
    downloaded(user, mailboxId, uids, opts = {}): void {
      if (!uids.length || deps.suppressed()) return;
      const list = [...uids];
      chain = chain.then(async () => {
        for (const uid of list) {
          if (deps.suppressed()) return;
          try {
            await one(user, mailboxId, uid, opts);
          } catch (err) {
            log.error('read-receipt.failed', { user: user.account.address, uid, err: err instanceof Error ? err : new Error(String(err)) });
          }
        }
      });
    },
    idle: () => chain,
  };
}

