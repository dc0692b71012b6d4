// SASL exchanges that the client abandons, over IMAP, POP3 and submission against a real server:
// a client that disconnects after the first challenge, or right after sending its password (the
// server verifies with nobody listening). The server goes on serving, nothing crashes, and no
// secret reaches a log. Also IMAP AUTHENTICATE LOGIN with Python's imaplib.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { startServer, python, type Server } from './harness.js';

const alice = 'alice@example.test';
const password = 'Alice-Right-Secret-7f3a';
const wrong = 'Wrong-Guess-Secret-91cd';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
let server: Server;

/** A TLS line client: reads CRLF lines, sends lines, and can vanish at any point. */
class Lines {
  private buf = '';
  private wake = (): void => {};
  private closed = false;
  private constructor(private readonly socket: tls.TLSSocket) {
    socket.on('data', (d: Buffer) => { this.buf += d.toString('latin1'); this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => {});
  }

  static connect(port: number | undefined): Promise<Lines> {
    assert.ok(port);
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(new Lines(s)));
      s.once('error', reject);
    });
  }

  /** The next line that matches (earlier lines are skipped). */
  async until(re: RegExp): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        if (re.test(line)) return line;
        continue;
      }
      if (this.closed) throw new Error(`connection closed while waiting for ${re}`);
      await new Promise<void>((r) => { this.wake = r; });
    }
  }

  send(line: string): void {
    this.socket.write(line + '\r\n');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

type Proto = 'imap' | 'pop' | 'smtp';

/** Connects over implicit TLS and starts AUTH LOGIN (or `auth`); resolves at the first challenge. */
async function startLogin(proto: Proto, auth = 'LOGIN'): Promise<Lines> {
  const port = { imap: server.ports.imaps, pop: server.ports.pop3s, smtp: server.ports.submissions }[proto];
  const c = await Lines.connect(port);
  if (proto === 'imap') {
    await c.until(/^\* OK /);
    c.send(`a AUTHENTICATE ${auth}`);
  } else if (proto === 'pop') {
    await c.until(/^\+OK /);
    c.send(`AUTH ${auth}`);
  } else {
    await c.until(/^220 /);
    c.send('EHLO client.example');
    await c.until(/^250 /);
    c.send(`AUTH ${auth}`);
  }
  const challenge = await c.until(/^(\+ |334 |a |-ERR|[45]\d\d )/);
  assert.match(challenge, /^(\+|334) /, 'a challenge');
  if (auth === 'LOGIN') assert.equal(challenge.replace(/^(\+|334) /, ''), b64('Username:'));
  return c;
}

/** A fresh connection logs in with AUTH PLAIN and gets the protocol's success reply. */
async function freshLogin(proto: Proto): Promise<string> {
  const port = { imap: server.ports.imaps, pop: server.ports.pop3s, smtp: server.ports.submissions }[proto];
  const c = await Lines.connect(port);
  try {
    const ir = b64(`\0${alice}\0${password}`);
    if (proto === 'imap') {
      await c.until(/^\* OK /);
      c.send(`b AUTHENTICATE PLAIN ${ir}`);
      return await c.until(/^b /);
    }
    if (proto === 'pop') {
      await c.until(/^\+OK /);
      c.send(`AUTH PLAIN ${ir}`);
      return await c.until(/^[+-]/);
    }
    await c.until(/^220 /);
    c.send('EHLO client.example');
    await c.until(/^250 /);
    c.send(`AUTH PLAIN ${ir}`);
    return await c.until(/^\d{3} /);
  } finally {
    c.destroy();
  }
}

const SUCCESS: Record<Proto, RegExp> = { imap: /^b OK /, pop: /^\+OK/, smtp: /^235 / };
const PROTOCOL: Record<Proto, string> = { imap: 'imap4', pop: 'pop3', smtp: 'smtp' };

function logs(): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(join(server.dataDir, 'logs'));
  return out.join('') + server.output();
}

before(async () => {
  server = await startServer({
    services: ['imap4', 'imap4-backend', 'pop3', 'pop3-backend', 'submission'],
    users: [{ address: alice, password }],
    auth: { 'allow-list': '127.0.0.0/8,::1/128' }, // the wrong guesses below are not slowed down
  });
});
after(async () => {
  await server?.stop();
});

for (const proto of ['imap', 'pop', 'smtp'] as const) {
  test(`${proto}: clients vanishing mid-exchange leave the server serving, and no secret logged`, async () => {
    // 1. Gone after the first challenge: of LOGIN, and of SCRAM (the server-first message).
    (await startLogin(proto)).destroy();
    (await startLogin(proto, `SCRAM-SHA-256 ${b64(`n,,n=${alice},r=fyko+d2lbbFgONRv9qkxdawL`)}`)).destroy();
    // 2. Gone right after sending a wrong password, and 3. after the right one: the server
    //    verifies with nobody listening.
    for (const secret of [wrong, password]) {
      const c = await startLogin(proto);
      c.send(b64(alice));
      assert.match(await c.until(/^(\+ |334 |a |-ERR|[45]\d\d )/), /^(\+|334) /, 'the password prompt');
      c.send(b64(secret));
      c.destroy();
    }
    // The abandoned wrong guess is still counted and logged as a failure (the log is written
    // asynchronously: wait for the line, bounded, never a fixed sleep).
    const failed = (): boolean => logs().split('\n').some((l) => l.includes('"result":"failure"')
      && l.includes(`"protocol":"${PROTOCOL[proto]}"`) && /"mechanism":"LOGIN(-SASL)?"/.test(l));
    for (let i = 0; i < 400 && !failed(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(failed(), logs().slice(-3000));
    // A new connection is served as usual.
    assert.match(await freshLogin(proto), SUCCESS[proto]);
    assert.equal(server.proc.exitCode, null, 'the server is still running');
    const text = logs();
    for (const secret of [wrong, password]) {
      assert.ok(!text.includes(secret), `a password reached a log:\n${text.slice(-3000)}`);
      assert.ok(!text.includes(b64(secret)), `a SASL response reached a log:\n${text.slice(-3000)}`);
    }
    assert.doesNotMatch(text, /uncaught|unhandled|"level":"(error|fatal)"/i);
  });
}

test('IMAP: AUTHENTICATE LOGIN with imaplib answers both prompts and logs in', async () => {
  const r = await python('cert_login.py', ['imap', '127.0.0.1', String(server.ports.imaps), 'implicit', '-', '-', 'login', alice, password]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const seen = JSON.parse(r.stdout) as { mechanisms: string[]; ok: boolean; reply: string; after: string };
  assert.ok(seen.mechanisms.includes('LOGIN'), JSON.stringify(seen));
  assert.equal(seen.ok, true, seen.reply);
  assert.equal(seen.after, 'INBOX OK 0');
  const refused = await python('cert_login.py', ['imap', '127.0.0.1', String(server.ports.imaps), 'implicit', '-', '-', 'login', alice, wrong]);
  assert.equal(refused.code, 0, refused.stdout + refused.stderr);
  assert.match((JSON.parse(refused.stdout) as { reply: string }).reply, /\[AUTHENTICATIONFAILED\]/);
});
