/**
 * The LMTP service (RFC 2033): how an MTA such as Postfix hands inbound mail to Portcullis.
 * smtp-server in lmtp mode does the framing (LHLO, one reply per recipient after DATA); we
 * resolve recipients (550 5.1.1 for unknown users at RCPT), deliver through the mailbox layer
 * (552 5.2.2 over quota, 250 2.0.0 only once the store committed) and support plus-addressing
 * (`user+folder@domain` into an existing folder). Loopback TCP or a unix socket; no AUTH, no TLS:
 * it must never be reachable from outside.
 */
import { promises as fs } from 'node:fs';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { formatBinding } from '../config/config.js';
import type { Logger } from '../core/log.js';
import type { MailboxService } from '../mailbox/types.js';
import type { RunningService } from '../net/listener.js';
import type { MailStore } from '../store/store.js';
import { checkAndNormaliseLineEnds, receivedHeader } from './message.js';
import { replyForError } from './replies.js';
import { ConnectionCounter, PortcullisSmtpServer, addressOf, closeServer, listen, runningListeners, smtpError, type BoundServer, type SmtpReplyError } from './server.js';
import type { LmtpSettings } from './settings.js';

export interface LmtpDeps {
  settings: () => LmtpSettings;
  mailboxes: MailboxService;
  store: Pick<MailStore, 'getAccount'>;
  logger: Logger;
  /** Name in the greeting and Received headers; default "localhost". */
  fqdn?: string;
}

export interface DeliveryTarget {
  /** The account's address. */
  address: string;
  mailbox: string;
}

/**
 * Finds where mail for `rcpt` goes: the account with that address, or with plus-addressing
 * `local+detail@domain` the account local@domain and its mailbox "detail" when it exists
 * (INBOX otherwise). Null for an unknown user.
 */
export async function resolveRecipient(rcpt: string, deps: Pick<LmtpDeps, 'store' | 'mailboxes'>, plusAddressing: boolean): Promise<DeliveryTarget | null> {
  const direct = await deps.store.getAccount(rcpt);
  if (direct) return { address: direct.address, mailbox: 'INBOX' };
  if (!plusAddressing) return null;
  const m = /^([^+@]+)\+([^@]*)@([^@]+)$/.exec(rcpt);
  if (!m) return null;
  const account = await deps.store.getAccount(`${m[1]}@${m[3]}`);
  if (!account) return null;
  const detail = m[2];
  if (detail && detail.toUpperCase() !== 'INBOX') {
    const mb = await deps.mailboxes.forAccount(account).get(detail).catch(() => null);
    if (mb) return { address: account.address, mailbox: mb.name };
  }
  return { address: account.address, mailbox: 'INBOX' };
}

export async function startLmtp(deps: LmtpDeps): Promise<RunningService> {
  const log = deps.logger.child({ service: 'lmtp' });
  const fqdn = deps.fqdn ?? 'localhost';
  const counter = new ConnectionCounter();

  const onConnect = (session: SMTPServerSession, cb: (err?: Error | null) => void): void => {
    const s = deps.settings();
    const refusal = counter.admit(session, { maxConnections: s.maxConnections, maxConnectionFromSingleIp: s.maxConnections });
    if (refusal) return cb(refusal);
    cb();
  };

  const onRcptTo = (address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void => {
    resolveRecipient(address.address, deps, deps.settings().plusAddressingEnabled).then(
      (target) => cb(target ? null : smtpError(550, '5.1.1', `<${address.address.slice(0, 320)}>: No such user here`)),
      (err: unknown) => {
        log.error('lmtp.rcpt_error', { session: session.id, err });
        cb(smtpError(451, '4.3.0', 'Temporary local problem, try again later'));
      },
    );
  };

  const deliverAll = async (session: SMTPServerSession, data: Buffer): Promise<Array<string | SmtpReplyError>> => {
    const rcpts = session.envelope.rcptTo.map((r) => r.address);
    const checked = checkAndNormaliseLineEnds(data);
    if (!checked.ok) return rcpts.map(() => smtpError(554, '5.6.0', `Message refused: ${checked.reason}`));
    const message = Buffer.concat([
      Buffer.from(receivedHeader({ helo: session.hostNameAppearsAs || 'unknown', remoteAddress: session.remoteAddress, by: fqdn, with: 'LMTP', tls: null, id: session.id })),
      checked.message,
    ]);
    const plus = deps.settings().plusAddressingEnabled;
    const out: Array<string | SmtpReplyError> = [];
    for (const rcpt of rcpts) {
      try {
        const target = await resolveRecipient(rcpt, deps, plus);
        if (!target) {
          out.push(smtpError(550, '5.1.1', `<${rcpt}>: No such user here`));
          continue;
        }
        const r = await deps.mailboxes.deliver(target.address, message, { mailbox: target.mailbox });
        log.info('lmtp.delivered', { session: session.id, rcpt, mailbox: target.mailbox, uid: r.uid, size: message.length });
        out.push(`2.0.0 <${rcpt}> Ok: delivered`);
      } catch (err) {
        const reply = replyForError(err);
        (reply.responseCode === 451 ? log.error : log.info).call(log, 'lmtp.refused', { session: session.id, rcpt, reply: reply.message, err });
        out.push(reply);
      }
    }
    return out;
  };

  const onData = (stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: Array<string | Error>) => void): void => {
    const chunks: Buffer[] = [];
    let finished = false;
    const finish = (err: Error | null, results?: Array<string | Error>): void => {
      if (finished) return;
      finished = true;
      cb(err, results);
    };
    stream.on('data', (c: Buffer) => {
      if (!stream.sizeExceeded) chunks.push(c);
    });
    stream.on('error', () => finish(smtpError(451, '4.3.0', 'Error while receiving the message')));
    stream.on('end', () => {
      if (stream.sizeExceeded) return finish(smtpError(552, '5.3.4', 'Message too big for system'));
      deliverAll(session, Buffer.concat(chunks)).then((r) => finish(null, r), (err: unknown) => finish(replyForError(err)));
    });
  };

  const s0 = deps.settings();
  const bound: BoundServer[] = [];
  const socketPaths: string[] = [];
  try {
    for (const b of s0.bindings) {
      const server = new PortcullisSmtpServer({
        lmtp: true,
        name: fqdn,
        banner: 'Portcullis LMTP service ready',
        size: s0.maxMessageSize,
        rejectOversized: true,
        maxRecipients: s0.maxRecipients,
        socketTimeout: s0.connectionInactivityTimeout * 1000,
        closeTimeout: 10_000,
        authOptional: true,
        disabledCommands: ['AUTH', 'STARTTLS'],
        hideSTARTTLS: true,
        maxAllowedUnauthenticatedCommands: false,
        onConnect, onRcptTo, onData,
        onClose: (session) => counter.release(session),
      }, {
        refresh: (srv) => {
          const s = deps.settings();
          Object.assign(srv.options, { size: s.maxMessageSize, maxRecipients: s.maxRecipients, socketTimeout: s.connectionInactivityTimeout * 1000 });
        },
      }, null);
      server.on('error', (err: Error) => log.warn('lmtp.server_error', { err }));
      if (b.kind === 'unix') {
        const st = await fs.lstat(b.path).catch(() => null);
        if (st?.isSocket()) await fs.unlink(b.path);
        await listen(server, { path: b.path });
        await fs.chmod(b.path, 0o660);
        socketPaths.push(b.path);
        bound.push({ server, address: { service: 'lmtp', kind: 'starttls', binding: `unix:${b.path}`, address: b.path, port: 0 } });
      } else {
        await listen(server, { host: b.host, port: b.port });
        bound.push({ server, address: addressOf('lmtp', 'starttls', formatBinding(b), server) });
      }
      const a = bound[bound.length - 1].address;
      log.info('listener.started', { binding: a.binding, address: a.address, port: a.port });
    }
  } catch (err) {
    await Promise.all(bound.map((x) => closeServer(x.server)));
    throw err;
  }
  const listeners = runningListeners(bound);
  return {
    listeners,
    async stop(): Promise<void> {
      await listeners.close();
      await Promise.all(bound.map((x) => closeServer(x.server)));
      for (const p of socketPaths) await fs.unlink(p).catch(() => {});
    },
  };
}
