// Scale-out on one machine: a backend process (imap4-backend + pop3-backend on a throwaway
// PostgreSQL database, backend-bindings, a cluster secret) and two frontend processes (imap4 +
// pop3 with proxy-targets). What a user sees: APPEND through A is told to IDLE through B, flags
// set through B are seen through A, POP3 through a frontend, the per-user limit holds across
// both frontends, a killed backend gives open sessions a BYE and after its restart everything
// acknowledged is there. Frontends from untrusted addresses or with a wrong secret are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as tls from 'node:tls';
import { openChannel, HandoffError } from '../../src/frontend/channel.js';
import { pingHeader } from '../../src/frontend/dialer.js';
import { useCluster } from './helpers/cluster.js';
import { cliOk, serve, python, type Server } from './harness.js';

const USER = 'sam@example.test';
const PASS = 'sam-scale-out-pw';
const secret = randomBytes(48).toString('hex');
const cluster = useCluster({ secret, trustedFrontends: '127.0.0.1/32' });
const { live } = cluster;

function backendPorts(s: Server): { imap: number; pop: number } {
  const port = (svc: string) => Number(new RegExp(`^${svc} listening on 127\\.0\\.0\\.1:(\\d+) \\(internal TLS\\)$`, 'm').exec(s.output())?.[1]);
  return { imap: port('imap4-backend'), pop: port('pop3-backend') };
}

/** A raw IMAP client over TLS: send lines, wait for a line matching a pattern. */
function imapRaw(port: number): { send(line: string): void; until(re: RegExp, ms?: number): Promise<string>; closed: Promise<void>; end(): void } {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  socket.on('error', () => {});
  let buf = '';
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => { buf += d.toString('latin1'); wake?.(); });
  const closed = new Promise<void>((r) => socket.on('close', () => { wake?.(); r(); }));
  return {
    send: (line) => socket.write(line + '\r\n'),
    async until(re, ms = 15_000) {
      const end = Date.now() + ms;
      for (;;) {
        const line = buf.split('\r\n').find((l) => re.test(l));
        if (line !== undefined) return line;
        if (socket.destroyed || Date.now() > end) throw new Error(`no line matching ${re} in:\n${buf}`);
        await new Promise<void>((r) => { wake = r; setTimeout(r, 200); });
      }
    },
    closed,
    end: () => socket.destroy(),
  };
}

/** The tagged reply to a LOGIN through a frontend. */
async function loginReply(port: number): Promise<string> {
  const c = imapRaw(port);
  try {
    await c.until(/^\* OK/);
    c.send(`l1 LOGIN ${USER} ${PASS}`);
    return await c.until(/^l1 /);
  } catch (err) {
    return (err as Error).message;
  } finally {
    c.end();
  }
}

test('two frontends, one backend on PostgreSQL: hand-off, IDLE across frontends, limits, backend failure and restart', { timeout: 120_000 }, async (t) => {
  if (cluster.skip || !cluster.db) return t.skip(String(cluster.skip));
  const beDir = cluster.nodeDir(['imap4-backend', 'pop3-backend']);
  cliOk(beDir, ['imap', 'set', '--backend-bindings', '127.0.0.1:0', '--max-connections-per-user', '2']);
  cliOk(beDir, ['pop', 'set', '--backend-bindings', '127.0.0.1:0']);
  cliOk(beDir, ['user', 'add', USER, '--password-stdin'], PASS + '\n');
  let backend = await serve(beDir);
  live.add(backend);
  const bp = backendPorts(backend);
  assert.ok(bp.imap > 0 && bp.pop > 0, backend.output());

  const frontend = async () => {
    const dir = cluster.nodeDir(['imap4', 'pop3']);
    cliOk(dir, ['imap', 'set', '--proxy-targets', `127.0.0.1:${bp.imap}`]);
    cliOk(dir, ['pop', 'set', '--proxy-targets', `127.0.0.1:${bp.pop}`]);
    const s = await serve(dir);
    live.add(s);
    return s;
  };
  const [a, b] = [await frontend(), await frontend()];
  const pa = a.ports.imaps!;
  const pb = b.ports.imaps!;
  assert.notEqual(pa, pb);

  // APPEND through A is told to IDLE through B; flags set through B are seen through A.
  const flow = await python('scaleout.py', ['idle-flags', '127.0.0.1', String(pa), String(pb), USER, PASS]);
  assert.equal(flow.code, 0, flow.stderr + a.output() + backend.output());
  const seen = JSON.parse(flow.stdout) as { exists: number; flags_seen_by_a: string[] };
  assert.equal(seen.exists, 1);
  assert.ok(seen.flags_seen_by_a.includes('\\Flagged'), flow.stdout);

  // POP3 through a frontend.
  const pop = await python('scaleout.py', ['pop', '127.0.0.1', String(b.ports.pop3s), USER, PASS]);
  assert.equal(pop.code, 0, pop.stderr);
  assert.deepEqual(JSON.parse(pop.stdout), { count: 1, subject: 'Subject: across frontends' });

  // max-connections-per-user 2 on the backend holds across both frontends.
  const lim = JSON.parse((await python('scaleout.py', ['limit', '127.0.0.1', String(pa), String(pb), USER, PASS])).stdout) as Record<string, string>;
  assert.equal(lim.first, 'OK');
  assert.equal(lim.second, 'OK');
  assert.match(lim.third_a!, /\[LIMIT\]/);
  assert.match(lim.third_b!, /\[LIMIT\]/);

  // A frontend from outside trusted-frontends, or with a wrong secret, is refused; the right one is answered.
  const target = { host: '127.0.0.1', port: bp.imap };
  const ok = await openChannel({ target, secret: Buffer.from(secret), header: pingHeader() });
  ok.channel.destroy();
  assert.equal(ok.answer.ok, true);
  await assert.rejects(openChannel({ target, secret: Buffer.from(secret), header: pingHeader(), localAddress: '127.0.0.2' }), HandoffError);
  await assert.rejects(openChannel({ target, secret: randomBytes(48), header: pingHeader() }), (e: HandoffError) => e.code === 'REFUSED');
  assert.match(backend.output(), /handoff-refused.*not in trusted-frontends/);

  // kill -9 the backend: an open session (IDLE through A) gets a BYE and is closed.
  const held = imapRaw(pa);
  await held.until(/^\* OK/);
  held.send(`h1 LOGIN ${USER} ${PASS}`);
  await held.until(/^h1 OK/);
  held.send('h2 SELECT INBOX');
  await held.until(/^h2 OK/);
  held.send('h3 IDLE');
  await held.until(/^\+ /);
  const exited = new Promise((r) => backend.proc.once('exit', r));
  backend.proc.kill('SIGKILL');
  await exited;
  live.delete(backend);
  assert.equal(await held.until(/^\* BYE/), '* BYE [UNAVAILABLE] Backend unavailable, please reconnect');
  await held.closed;
  assert.match(await loginReply(pa), /^l1 NO \[UNAVAILABLE\]/);

  // Restart the backend on the same ports; once health checks see it, clients log in again and
  // everything acknowledged is still there.
  cliOk(beDir, ['imap', 'set', '--backend-bindings', `127.0.0.1:${bp.imap}`]);
  cliOk(beDir, ['pop', 'set', '--backend-bindings', `127.0.0.1:${bp.pop}`]);
  backend = await serve(beDir);
  live.add(backend);
  assert.deepEqual(backendPorts(backend), bp);
  const deadline = Date.now() + 30_000;
  let reply = '';
  while (!/^l1 OK/.test(reply = await loginReply(pb))) {
    assert.ok(Date.now() < deadline, `no login after the restart: ${reply}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const state = await python('imap_tool.py', ['state', '127.0.0.1', String(pb), USER, PASS]);
  assert.equal(state.code, 0, state.stderr);
  const inbox = (JSON.parse(state.stdout) as Record<string, Record<string, string[]>>).INBOX!;
  assert.ok(inbox['so1@x']?.includes('\\Flagged'), JSON.stringify(inbox));
});
