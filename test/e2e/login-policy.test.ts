// The LoginType policy as clients observe it, for IMAP (143 vs 993) and POP3 (110 vs 995), with
// Python's ssl-wrapped sockets: what is advertised before and after TLS, and which logins work.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, python, cliOk, type Server } from './harness.js';

const user = 'lena@example.test';
const password = 'lena-policy-pw';
let server: Server;

before(async () => {
  server = await startServer({ users: [{ address: user, password }] });
});
after(async () => {
  await server?.stop();
});

interface Side { caps: string[]; login: string; starttls?: string; caps_after?: string[]; login_after?: string }
async function observe(proto: 'imap' | 'pop'): Promise<{ plain: Side; implicit: Side }> {
  const ports = proto === 'imap' ? [server.ports.imap, server.ports.imaps] : [server.ports.pop3, server.ports.pop3s];
  const r = await python('login_matrix.py', [proto, '127.0.0.1', String(ports[0]), String(ports[1]), user, password]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { plain: Side; implicit: Side };
}

async function setLoginType(type: string): Promise<void> {
  cliOk(server.dataDir, ['imap', 'set', '--login-type', type]);
  cliOk(server.dataDir, ['pop', 'set', '--login-type', type]);
  await server.reload();
}

for (const type of ['SecureLogin', 'PlainTextAuthentication'] as const) {
  test(`${type}: no password crosses a cleartext connection`, async () => {
    await setLoginType(type);
    const imap = await observe('imap');
    assert.ok(imap.plain.caps.includes('STARTTLS') && imap.plain.caps.includes('LOGINDISABLED'), imap.plain.caps.join(' '));
    assert.ok(!imap.plain.caps.some((c) => /^AUTH=(PLAIN|LOGIN)$/.test(c)), 'no password mechanism before TLS');
    assert.match(imap.plain.login, /^a2 NO \[PRIVACYREQUIRED\]/);
    assert.match(imap.plain.caps_after!.join(' '), /AUTH=PLAIN/);
    assert.ok(!imap.plain.caps_after!.includes('STARTTLS') && !imap.plain.caps_after!.includes('LOGINDISABLED'));
    assert.match(imap.plain.login_after!, /^b2 OK/);
    assert.match(imap.implicit.login, /^a2 OK/);

    const pop = await observe('pop');
    assert.ok(pop.plain.caps.includes('STLS'), pop.plain.caps.join('|'));
    assert.ok(!pop.plain.caps.includes('USER') && !pop.plain.caps.some((c) => /^SASL\b.*PLAIN/.test(c)));
    assert.match(pop.plain.login, /^-ERR \[AUTH\]/);
    assert.ok(pop.plain.caps_after!.includes('USER') && !pop.plain.caps_after!.includes('STLS'));
    assert.match(pop.plain.login_after!, /^\+OK/);
    assert.match(pop.implicit.login, /^\+OK/);
  });
}

test('PlainTextLogin: cleartext login allowed (legacy), and still offered TLS', async () => {
  await setLoginType('PlainTextLogin');
  const imap = await observe('imap');
  assert.ok(imap.plain.caps.includes('STARTTLS') && !imap.plain.caps.includes('LOGINDISABLED'), imap.plain.caps.join(' '));
  assert.ok(imap.plain.caps.includes('AUTH=PLAIN'));
  assert.match(imap.plain.login, /^a2 OK/);
  const pop = await observe('pop');
  assert.ok(pop.plain.caps.includes('USER') && pop.plain.caps.includes('STLS'));
  assert.match(pop.plain.login, /^\+OK/);
  await setLoginType('SecureLogin');
});
