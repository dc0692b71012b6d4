/** Messages for the conformance suite, with their ParsedMessage built here (the suite tests stores, not the indexer). */
import type { ParsedMessage } from '../../message/types.js';
import type { AppendInput, MailStore } from '../store.js';

export interface TestMessage {
  subject?: string;
  from?: string;
  to?: string;
  cc?: string;
  extraHeaders?: Array<[string, string]>;
  body?: string;
}

export function buildMessage(m: TestMessage = {}): { raw: Buffer; parsed: ParsedMessage } {
  const headers: Array<[string, string]> = [
    ['from', m.from ?? 'Sender <sender@example.org>'],
    ['to', m.to ?? 'rcpt@example.org'],
    ...(m.cc ? [['cc', m.cc] as [string, string]] : []),
    ['subject', m.subject ?? 'test'],
    ['date', 'Mon, 7 Feb 1994 21:52:25 -0800'],
    ...(m.extraHeaders ?? []),
  ];
  const head = headers.map(([n, v]) => `${n[0]!.toUpperCase()}${n.slice(1)}: ${v}\r\n`).join('');
  const body = m.body ?? 'Hello.\r\n';
  const raw = Buffer.from(`${head}\r\n${body}`, 'utf8');
  const bodyStart = Buffer.byteLength(head) + 2;
  const parsed: ParsedMessage = {
    size: raw.length,
    envelope: {
      date: 'Mon, 7 Feb 1994 21:52:25 -0800', subject: m.subject ?? 'test', from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null,
      inReplyTo: null, messageId: null,
    },
    root: {
      type: 'text', subtype: 'plain', params: [['charset', 'utf-8']], id: null, description: null, encoding: '8bit',
      size: raw.length - bodyStart, lines: body.split('\r\n').length - 1, md5: null, disposition: null, language: null, location: null,
      headerStart: 0, bodyStart, bodyEnd: raw.length,
    },
    sentDate: new Date('1994-02-08T05:52:25Z'),
    search: { headers: headers.map(([n, v]) => [n.toLowerCase(), v]), body },
    problems: [],
  };
  return { raw, parsed };
}

export function input(m: TestMessage = {}, extra: Partial<AppendInput> = {}): AppendInput {
  return { ...buildMessage(m), ...extra };
}

let counter = 0;
/** A fresh account with a unique address. */
export async function newAccount(store: MailStore) {
  counter += 1;
  return store.createAccount(`user${counter}.${process.pid}@Example.ORG`, null);
}

export async function inboxOf(store: MailStore, accountId: number) {
  const mb = await store.getMailbox(accountId, 'INBOX');
  if (!mb) throw new Error('account has no INBOX');
  return mb;
}

export async function collect<T>(it: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const batch of it) out.push(batch);
  return out;
}

export function streamToBuffer(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer | string) => chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}
