/**
 * Delivery status notifications (RFC 3464): the multipart/report bounce a sender gets when a
 * message could not be delivered to some recipients.
 */
import { randomBytes } from 'node:crypto';
import { rfc5322Date } from './message.js';

export interface FailedRecipient {
  address: string;
  /** Enhanced status code, e.g. "5.1.1" or "4.4.1" (given up after retries). */
  status: string;
  /** What the remote server or the local store said. */
  diagnostic: string;
  /** The server that answered, if any. */
  remoteMta?: string;
}

export interface DsnInput {
  /** Our name (Reporting-MTA). */
  reportingMta: string;
  /** The original envelope sender, who gets the report. */
  sender: string;
  original: Buffer;
  arrivalDate: Date;
  recipients: FailedRecipient[];
  /** Queue id or session id, for the reader and the logs. */
  envelopeId?: string;
  now?: Date;
}

/** Header block of a message (up to the blank line), at most 64 KiB. */
function headerBlock(raw: Buffer): string {
  const limit = Math.min(raw.length, 65536);
  let end = limit;
  for (let i = 0; i < limit - 1; i++) {
    if (raw[i] === 0x0a && (raw[i + 1] === 0x0a || (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a))) {
      end = i + 1;
      break;
    }
  }
  return raw.subarray(0, end).toString('latin1').replace(/\r?\n/g, '\r\n');
}

function oneLine(s: string, max = 500): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, max);
}

/** Builds the bounce message (CRLF line ends), From MAILER-DAEMON@reportingMta. */
export function buildDsn(input: DsnInput): Buffer {
  const now = input.now ?? new Date();
  const boundary = `=_portcullis_dsn_${randomBytes(12).toString('hex')}`;
  const mta = oneLine(input.reportingMta, 253);
  const lines: string[] = [];
  lines.push(
    `From: Mail Delivery System <MAILER-DAEMON@${mta}>`,
    `To: <${oneLine(input.sender, 320)}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <dsn.${randomBytes(10).toString('hex')}@${mta}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated delivery status report.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `This is the mail system at ${mta}.`,
    '',
    'Your message could not be delivered to the following recipients:',
    '',
  );
  for (const r of input.recipients) lines.push(`  <${oneLine(r.address, 320)}>: ${oneLine(r.diagnostic)}`);
  lines.push('', `--${boundary}`, 'Content-Type: message/delivery-status', '', `Reporting-MTA: dns; ${mta}`);
  if (input.envelopeId) lines.push(`X-Portcullis-Queue-ID: ${oneLine(input.envelopeId, 100)}`);
  lines.push(`Arrival-Date: ${rfc5322Date(input.arrivalDate)}`);
  for (const r of input.recipients) {
    lines.push('', `Final-Recipient: rfc822; ${oneLine(r.address, 320)}`, 'Action: failed', `Status: ${r.status}`);
    if (r.remoteMta) lines.push(`Remote-MTA: dns; ${oneLine(r.remoteMta, 253)}`);
    lines.push(`Diagnostic-Code: smtp; ${oneLine(r.diagnostic)}`, `Last-Attempt-Date: ${rfc5322Date(now)}`);
  }
  lines.push('', `--${boundary}`, 'Content-Type: text/rfc822-headers', '');
  const head = headerBlock(input.original).replace(/\r\n$/, '');
  return Buffer.concat([
    Buffer.from(lines.join('\r\n') + '\r\n', 'utf8'),
    Buffer.from(head + '\r\n', 'latin1'),
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  ]);
}
