/**
 * The submission service (RFC 6409 on 587 with STARTTLS, RFC 8314 implicit TLS on 465).
 *
 * smtp-server does the framing (server.ts adapts it); the policy is ours:
 * - AUTH only as the Authenticator's login policy for "smtp" allows (530 5.7.0 before TLS
 *   under SecureLogin), PLAIN/LOGIN verified by authenticatePassword;
 * - MAIL needs AUTH (530 5.7.0 Authentication required) and, with require-tls, TLS;
 * - the envelope sender must be the user's own address (553 5.7.1);
 * - SIZE advertised, 552 5.3.4 at MAIL SIZE= and during DATA; 452 4.5.3 past max-recipients;
 * - a "." line with bare CR/LF in DATA is refused (SMTP smuggling), other bare line ends fixed;
 * - a Received: header with the TLS version and cipher is prepended (RFC 8314 §4.3);
 * - local recipients get the message in INBOX, the others go to the outbound queue, and 250 is
 *   sent only once both are durable;
 * - PROXY protocol from trusted-proxies (proxy-front.ts): the session's client address is the
 *   one from the header, for logs, limits and throttling.
 */
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { channelBindingOf } from '../auth/channel-binding.js';
import { clientCertificateOf, type ClientCertificateFacts } from '../tls/client-cert.js';
import type { AuthResult, Authenticator, LoginContext } from '../auth/types.js';
import { formatBinding } from '../config/config.js';
import type { Logger } from '../core/log.js';
import type { ProtocolLog } from '../observe/types.js';
import type { MailboxService } from '../mailbox/types.js';
import type { RunningService } from '../net/listener.js';
import type { ListenerKind } from '../net/types.js';
import type { Account, MailStore } from '../store/store.js';
import type { TlsContextProvider } from '../tls/provider.js';
import { buildDsn, type FailedRecipient } from './dsn.js';
import { checkAndNormaliseLineEnds, receivedHeader, withKeyword } from './message.js';
import type { OutboundQueue } from './queue.js';
import { replyForError } from './replies.js';
import {
  ConnectionCounter, PortcullisSmtpServer, addressOf, closeServer, listen, runningListeners, smtpError,
  type BoundServer, type SmtpReplyError, type SmtpSaslExchange,
} from './server.js';
import type { SmtpSettings } from './settings.js';
import { smtpProtocolObserver } from './protocol-log.js';
import { installProxyFront } from './proxy-front.js';

export interface SubmissionDeps {
  settings: () => SmtpSettings;
  tls: TlsContextProvider;
  auth: Authenticator;
  mailboxes: MailboxService;
  queue: OutboundQueue;
  logger: Logger;
  /**
   * Tells local recipients from remote ones at RCPT time. Without it, a recipient is local when
   * mailboxes.deliver finds its account (NONEXISTENT sends it to the queue).
   */
  accounts?: Pick<MailStore, 'getAccount'>;
  /** The smtp protocol log (rows only while its protocol-log-enabled is on); absent: none. */
  protocolLog?: ProtocolLog | null;
  /** Load balancers that send a PROXY header (trusted-proxies), read for each connection; absent: none. */
  trustedProxies?: () => readonly string[];
  /** Longest wait for a trusted proxy's PROXY header; default 5 s. */
  proxyHeaderTimeoutMs?: number;
}

const SASL_NAMES = ['PLAIN', 'LOGIN'];

function userOf(session: SMTPServerSession): Account | null {
  return (session.user as Account | undefined) ?? null;
}

/** The user's own addresses: the account address, and its plus-addressed forms. */
export function senderAllowed(account: Account, sender: string): boolean {
  const s = sender.toLowerCase();
  if (s === account.address.toLowerCase()) return true;
  const at = s.lastIndexOf('@');
  const plus = s.indexOf('+');
  return plus > 0 && plus < at && s.slice(0, plus) + s.slice(at) === account.address.toLowerCase();
}

export async function startSubmission(deps: SubmissionDeps): Promise<RunningService> {
  const log = deps.logger.child({ service: 'submission' });
  const counter = new ConnectionCounter();
  const sessionLog = (session: SMTPServerSession): Logger => log.child({ session: session.id });
  // Protocol-log rows and command metrics, observed through smtp-server's logger (see protocol-log.ts).
  const observer = smtpProtocolObserver(deps.protocolLog ?? null);

  // The verified client certificate of a TLS socket (SASL EXTERNAL), read once per socket.
  const certificates = new WeakMap<net.Socket, ClientCertificateFacts | null>();
  const certificateOf = (socket?: net.Socket): ClientCertificateFacts | null => {
    if (!(socket instanceof tls.TLSSocket)) return null;
    if (!certificates.has(socket)) certificates.set(socket, clientCertificateOf(socket));
    return certificates.get(socket) ?? null;
  };

  const loginContext = (session: SMTPServerSession, socket?: net.Socket): LoginContext => ({
    clientCertificate: certificateOf(socket),
    protocol: 'smtp',
    sessionId: session.id,
    remoteAddress: session.remoteAddress,
    localPort: session.localPort,
    secure: session.secure,
    tlsVersion: session.tlsOptions ? session.tlsOptions.version : null,
    tlsCipher: session.tlsOptions ? session.tlsOptions.standardName ?? session.tlsOptions.name : null,
  });

  // PLAIN and LOGIN run in the library (onAuth below); every other mechanism the Authenticator
  // offers (SCRAM-SHA-256[-PLUS], OAUTHBEARER, XOAUTH2) runs as our own exchange (server.ts).
  const authMechanisms = (secure: boolean, socket?: net.Socket): string[] =>
    deps.auth.mechanisms({ protocol: 'smtp', secure, clientCertificate: certificateOf(socket) }).map((m) => m.toUpperCase());

  const authFailure = (r: Exclude<AuthResult, { ok: true }>): SmtpReplyError => {
    switch (r.reason) {
      case 'policy': return smtpError(530, '5.7.0', 'Must issue a STARTTLS command first');
      case 'throttled': return smtpError(454, '4.7.0', 'Too many failed logins, try again later');
      case 'unavailable': return smtpError(454, '4.7.0', 'Temporary authentication failure');
      default: return smtpError(535, '5.7.8', 'Authentication credentials invalid');
    }
  };

  const saslExchange = (method: string, session: SMTPServerSession, socket: net.Socket): SmtpSaslExchange | null => {
    if (SASL_NAMES.includes(method)) return null;
    const exchange = deps.auth.startSasl(loginContext(session, socket), method, channelBindingOf({ socket }));
    if (!exchange) return null;
    return {
      step: (response) => exchange.step(response),
      finish: (r) => {
        if (!r.ok) return authFailure(r);
        sessionLog(session).info('smtp.login', { user: r.account.address, mechanism: r.mechanism, insecure: r.insecure });
        return { user: r.account };
      },
    };
  };

  const onAuth = (auth: SMTPServerAuthentication, session: SMTPServerSession, cb: (err: Error | null | undefined, res?: { user?: unknown; message?: string; responseCode?: number }) => void): void => {
    const attempt = {
      username: auth.username ?? '',
      password: auth.password ?? '',
      mechanism: auth.method === 'LOGIN' ? 'LOGIN-SASL' : auth.method,
      ...(auth.authzid ? { authzid: auth.authzid } : {}),
    };
    deps.auth.authenticatePassword(loginContext(session), attempt).then((r) => {
      if (r.ok) {
        sessionLog(session).info('smtp.login', { user: r.account.address, mechanism: auth.method, insecure: r.insecure });
        return cb(null, { user: r.account });
      }
      switch (r.reason) {
        case 'policy': return cb(smtpError(530, '5.7.0', 'Must issue a STARTTLS command first'));
        case 'throttled': return cb(smtpError(454, '4.7.0', 'Too many failed logins, try again later'));
        case 'unavailable': return cb(smtpError(454, '4.7.0', 'Temporary authentication failure'));
        default: return cb(smtpError(535, '5.7.8', 'Authentication credentials invalid'));
      }
    }, (err: unknown) => {
      sessionLog(session).error('smtp.auth_error', { err });
      cb(smtpError(454, '4.7.0', 'Temporary authentication failure'));
    });
  };

  const onConnect = (session: SMTPServerSession, cb: (err?: Error | null) => void): void => {
    observer.attach(session);
    const s = deps.settings();
    const refusal = counter.admit(session, s);
    if (refusal) {
      log.warn('smtp.refused', { client: session.remoteAddress, reason: refusal.message });
      return cb(refusal);
    }
    sessionLog(session).info('smtp.connect', { client: session.remoteAddress, port: session.localPort, secure: session.secure });
    cb();
  };

  const onMailFrom = (address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void => {
    const s = deps.settings();
    const user = userOf(session);
    if (s.requireTls && !session.secure) return cb(smtpError(530, '5.7.0', 'Must issue a STARTTLS command first'));
    if (!user) return cb(smtpError(530, '5.7.0', 'Authentication required'));
    if (!address.address || !senderAllowed(user, address.address)) {
      sessionLog(session).warn('smtp.sender_refused', { user: user.address, sender: address.address.slice(0, 320) });
      return cb(smtpError(553, '5.7.1', `Sender address rejected: not owned by user ${user.address}`));
    }
    cb();
  };

  const onRcptTo = (address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void => {
    if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address.address)) return cb(smtpError(501, '5.1.3', 'Bad recipient address syntax'));
    cb();
  };

  /** Delivers/enqueues; resolves with the 250 text, or rejects with a reply error. */
  const accept = async (session: SMTPServerSession, data: Buffer): Promise<string> => {
    const slog = sessionLog(session);
    const user = userOf(session);
    const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    if (!user || !from) throw smtpError(503, '5.5.1', 'Bad sequence of commands');
    const checked = checkAndNormaliseLineEnds(data);
    if (!checked.ok) {
      slog.warn('smtp.smuggling_refused', { user: user.address });
      throw smtpError(554, '5.6.0', `Message refused: ${checked.reason}`);
    }
    const s = deps.settings();
    const tlsInfo = session.tlsOptions ? { cipher: session.tlsOptions.standardName ?? session.tlsOptions.name, version: session.tlsOptions.version } : null;
    const message = Buffer.concat([
      Buffer.from(receivedHeader({ helo: session.hostNameAppearsAs || 'unknown', remoteAddress: session.remoteAddress, by: s.fqdn, with: withKeyword('ESMTP', session.secure, true), tls: tlsInfo, id: session.id })),
      checked.message,
    ]);
    const rcpts = session.envelope.rcptTo.map((r) => r.address);
    const local: string[] = [];
    const remote: string[] = [];
    for (const r of rcpts) {
      if (deps.accounts) ((await deps.accounts.getAccount(r)) ? local : remote).push(r);
      else local.push(r);
    }
    const delivered: string[] = [];
    const failed: Array<{ rcpt: string; err: ReturnType<typeof replyForError> }> = [];
    for (const r of local) {
      try {
        await deps.mailboxes.deliver(r, message);
        delivered.push(r);
      } catch (err) {
        const reply = replyForError(err);
        if (!deps.accounts && reply.responseCode === 550 && /5\.1\.1/.test(reply.message)) remote.push(r);
        else {
          if (reply.responseCode === 451) slog.error('smtp.local_delivery_error', { rcpt: r, err });
          failed.push({ rcpt: r, err: reply });
        }
      }
    }
    let queueId: string | null = null;
    if (remote.length) {
      try {
        queueId = await deps.queue.enqueue({ from, to: remote, raw: message });
      } catch (err) {
        slog.error('smtp.enqueue_error', { err });
        if (!delivered.length) throw smtpError(451, '4.3.0', 'Temporary local problem, try again later');
        for (const r of remote) failed.push({ rcpt: r, err: smtpError(451, '4.3.0', 'could not be queued') });
      }
    }
    if (!delivered.length && !queueId) {
      // nothing was stored: the client may retry the whole transaction
      throw failed[0]?.err ?? smtpError(451, '4.3.0', 'Temporary local problem, try again later');
    }
    if (failed.length) {
      // accepted for some: the others are reported to the sender, as any MTA does after a 250
      const recipients: FailedRecipient[] = failed.map((f) => ({ address: f.rcpt, status: /([245]\.\d+\.\d+)/.exec(f.err.message)?.[1] ?? '5.0.0', diagnostic: f.err.message }));
      const dsn = buildDsn({ reportingMta: s.fqdn, sender: from, original: message, arrivalDate: new Date(), recipients, envelopeId: session.id });
      await deps.mailboxes.deliver(user.address, dsn).catch((err: unknown) => slog.error('smtp.dsn_error', { err }));
    }
    slog.info('smtp.accepted', { user: user.address, size: message.length, local: delivered.length, queued: remote.length, failed: failed.length, queueId });
    return `2.0.0 Ok: message accepted${queueId ? ' (queued as ' + queueId + ')' : ''}`;
  };

  const onData = (stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void): void => {
    const chunks: Buffer[] = [];
    let finished = false;
    const finish = (err: Error | null, msg?: string): void => {
      if (finished) return;
      finished = true;
      cb(err, msg);
    };
    stream.on('data', (chunk: Buffer) => {
      if (!stream.sizeExceeded) chunks.push(chunk);
    });
    stream.on('error', (err: Error) => {
      sessionLog(session).warn('smtp.data_error', { err });
      finish(smtpError(451, '4.3.0', 'Error while receiving the message'));
    });
    stream.on('end', () => {
      if (stream.sizeExceeded) return finish(smtpError(552, '5.3.4', 'Message too big for system'));
      accept(session, Buffer.concat(chunks)).then((m) => finish(null, m), (err: unknown) => {
        finish(err instanceof Error && 'responseCode' in err ? err : replyForError(err));
      });
    });
  };

  const bound: BoundServer[] = [];
  const s0 = deps.settings();
  const specs: Array<{ kind: ListenerKind; binding: (typeof s0.sslBindings)[number] }> = [
    ...s0.sslBindings.map((binding) => ({ kind: 'implicit' as const, binding })),
    ...s0.unencryptedOrTlsBindings.map((binding) => ({ kind: 'starttls' as const, binding })),
  ];
  try {
    for (const spec of specs) {
      const server = new PortcullisSmtpServer({
        secure: spec.kind === 'implicit',
        name: s0.fqdn,
        banner: s0.banner,
        size: s0.maxMessageSize,
        rejectOversized: true,
        maxRecipients: s0.maxRecipients,
        socketTimeout: s0.connectionInactivityTimeout * 1000,
        closeTimeout: 10_000,
        authMethods: SASL_NAMES,
        authRequiredMessage: '5.7.0 Authentication required',
        allowInsecureAuth: true, // policy is ours (server.ts hooks), not the library's
        maxAllowedUnauthenticatedCommands: 20,
        onConnect, onAuth, onMailFrom, onRcptTo, onData,
        onClose: (session) => {
          counter.release(session);
          observer.detach(session);
        },
      }, {
        authMechanisms,
        saslExchange,
        refresh: (srv) => {
          const s = deps.settings();
          Object.assign(srv.options, { name: s.fqdn, banner: s.banner, size: s.maxMessageSize, maxRecipients: s.maxRecipients, socketTimeout: s.connectionInactivityTimeout * 1000 });
        },
      }, deps.tls);
      server.logger = observer.logger;
      // Client certificates (SASL EXTERNAL) are requested exactly when the TLS provider asks for
      // them, decided at every handshake: smtp-server copies these options onto each TLS socket.
      for (const key of ['requestCert', 'rejectUnauthorized'] as const) {
        Object.defineProperty(server.options, key, { enumerable: true, configurable: true, get: () => deps.tls.serverOptions()[key] === true });
      }
      server.on('error', (err: Error) => log.warn('smtp.server_error', { err }));
      // PROXY headers from trusted load balancers, read before smtp-server sees the socket.
      if (deps.trustedProxies) {
        installProxyFront(server, {
          kind: spec.kind, trustedProxies: deps.trustedProxies, logger: log,
          ...(deps.proxyHeaderTimeoutMs !== undefined ? { proxyHeaderTimeoutMs: deps.proxyHeaderTimeoutMs } : {}),
        });
      }
      await listen(server, spec.binding);
      const address = addressOf('submission', spec.kind, formatBinding(spec.binding), server);
      bound.push({ server, address });
      log.info('listener.started', { kind: spec.kind, binding: address.binding, address: address.address, port: address.port });
    }
  } catch (err) {
    await Promise.all(bound.map((b) => closeServer(b.server)));
    throw err;
  }
  const listeners = runningListeners(bound);
  return {
    listeners,
    async stop(): Promise<void> {
      await listeners.close();
      await Promise.all(bound.map((b) => closeServer(b.server)));
    },
  };
}
