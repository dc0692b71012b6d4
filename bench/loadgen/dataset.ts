/**
 * The benchmark's data set: fixed-seed users and messages, loaded identically into Portcullis
 * (through its store, before the server starts) and into Dovecot (as Maildir files).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng, pick } from './stats.js';

export interface DatasetSpec {
  /** user0001@bench.example …: imap-mixed (one user per client) and deliver targets. */
  users: number;
  messagesPerUser: number;
  /** pop0001@bench.example …: one per pop3-download client. */
  popUsers: number;
  popMessages: number;
  /** big@bench.example: the big-mailbox INBOX. */
  bigMessages: number;
  /** idle0001@bench.example …: idle-memory logins (one user per `idlePerUser` connections). */
  idleUsers: number;
}

export const PASSWORD = 'bench-password-1';
export const DOMAIN = 'bench.example';
/** A sender present in 1 % of the big mailbox, and a word in 0.1 % of its bodies. */
export const RARE_SENDER = 'zed.quimby';
export const RARE_WORD = 'xylophonic';

export const userName = (i: number): string => `user${String(i + 1).padStart(4, '0')}@${DOMAIN}`;
export const popName = (i: number): string => `pop${String(i + 1).padStart(4, '0')}@${DOMAIN}`;
export const idleName = (i: number): string => `idle${String(i + 1).padStart(4, '0')}@${DOMAIN}`;
export const BIG_USER = `big@${DOMAIN}`;

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yolanda'];
const LAST = ['nguyen', 'smith', 'garcia', 'mueller', 'rossi', 'tanaka', 'kowalski', 'silva', 'dubois', 'jensen', 'okafor', 'haddad', 'novak', 'larsen', 'moreau'];
const WORDS = ('the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there one all we their can has been if more when will would who so no ' +
  'meeting report budget quarter project review deadline invoice schedule update server release draft proposal contract customer support ticket network storage backup migration holiday travel lunch agenda minutes').split(' ');

export function allUsers(spec: DatasetSpec): string[] {
  return [
    ...Array.from({ length: spec.users }, (_, i) => userName(i)),
    ...Array.from({ length: spec.popUsers }, (_, i) => popName(i)),
    ...Array.from({ length: spec.idleUsers }, (_, i) => idleName(i)),
    BIG_USER,
  ];
}

/** One RFC 5322 message (CRLF), deterministic for (seed, i). */
export function makeMessage(seed: number, i: number, to: string, bodyWords: number, opts: { sender?: string; word?: string } = {}): Buffer {
  const r = rng(seed * 1_000_003 + i);
  const sender = opts.sender ?? `${pick(r, FIRST)}.${pick(r, LAST)}`;
  const [first, last] = sender.split('.');
  const subject = Array.from({ length: 3 + Math.floor(r() * 6) }, () => pick(r, WORDS)).join(' ');
  const date = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000 + Math.floor(r() * 3_600_000));
  const lines: string[] = [];
  let line: string[] = [];
  const n = Math.max(8, Math.floor(bodyWords * (0.5 + r())));
  const rareAt = opts.word ? Math.floor(r() * n) : -1;
  for (let w = 0; w < n; w++) {
    line.push(w === rareAt ? opts.word! : pick(r, WORDS));
    if (line.length >= 12) {
      lines.push(line.join(' '));
      line = [];
    }
  }
  if (line.length) lines.push(line.join(' '));
  const head = [
    `Return-Path: <${sender}@example.net>`,
    `From: ${cap(first)} ${cap(last ?? 'x')} <${sender}@example.net>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <bench.${seed}.${i}@example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
  ];
  return Buffer.from(head.join('\r\n') + '\r\n\r\n' + lines.join('\r\n') + '\r\n', 'latin1');
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface MailboxContent {
  user: string;
  messages: () => Iterable<{ raw: Buffer; seen: boolean }>;
  count: number;
}

/** Every mailbox of the data set with its messages (generated lazily, same bytes each time). */
export function mailboxes(spec: DatasetSpec): MailboxContent[] {
  const out: MailboxContent[] = [];
  for (let u = 0; u < spec.users; u++) {
    const user = userName(u);
    out.push({ user, count: spec.messagesPerUser, messages: function* () {
      for (let i = 0; i < spec.messagesPerUser; i++) yield { raw: makeMessage(1000 + u, i, user, 400), seen: i < spec.messagesPerUser * 0.8 };
    } });
  }
  for (let u = 0; u < spec.popUsers; u++) {
    const user = popName(u);
    out.push({ user, count: spec.popMessages, messages: function* () {
      for (let i = 0; i < spec.popMessages; i++) yield { raw: makeMessage(5000 + u, i, user, 2500), seen: false };
    } });
  }
  out.push({ user: BIG_USER, count: spec.bigMessages, messages: function* () {
    for (let i = 0; i < spec.bigMessages; i++) {
      yield { raw: makeMessage(9000, i, BIG_USER, 150, { sender: i % 100 === 7 ? RARE_SENDER : undefined, word: i % 1000 === 3 ? RARE_WORD : undefined }), seen: i % 3 !== 0 };
    }
  } });
  return out;
}

/** Writes a Maildir INBOX for Dovecot: HOME/Maildir/{cur,new,tmp}. */
export function writeMaildir(home: string, content: MailboxContent): void {
  const md = join(home, 'Maildir');
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(md, d), { recursive: true });
  let i = 0;
  const base = 1_700_000_000;
  for (const m of content.messages()) {
    const name = `${base + i}.M${i}P1.bench,S=${m.raw.length}:2,${m.seen ? 'S' : ''}`;
    writeFileSync(join(md, 'cur', name), m.raw);
    i++;
  }
}
