/**
 * The submission service's protocol log and command metrics: one row per SMTP command and its
 * final reply, in the IMAP/POP3 CSV layout (observe/protocol-log.ts writes and masks them).
 *
 * How commands are observed. smtp-server has no per-command hook, so the choices were:
 * - wrap the socket stream and parse SMTP ourselves: we would have to follow DATA mode, dot
 *   stuffing, BDAT and the socket swap at STARTTLS exactly as the library does, and any drift
 *   would log message bodies as commands or miss commands;
 * - override private SMTPConnection methods (_onCommand): breaks silently on a refactor;
 * - the server's bunyan-style `logger`, which the library calls with a structured entry for
 *   every command line it dispatches (`{tnx: 'command'}, 'C:', line`, AUTH payloads and SASL
 *   continuation lines already replaced by "/* secured *\/"), every reply it writes
 *   (`{tnx: 'send'}, 'S:', payload`, from its single write site, and only when written), the
 *   size of each message (`{tnx: 'data', bytes}`, never its content) and each STARTTLS
 *   upgrade (`{tnx: 'starttls'}`). The library itself parses and frames, so what we see is
 *   what it acted on. We use this one, keyed by the `tnx` field and the connection id.
 * The library's redaction is not trusted alone: a line after a 334 reply is always a "*SASL*"
 * row, AUTH keeps only its mechanism name, and the protocol-log writer masks again.
 *
 * Connection facts (client address, also one given by the PROXY protocol, local address, TLS)
 * come from the smtp-server session, attached in onConnect and detached in onClose.
 */
import { performance } from 'node:perf_hooks';
import type { SMTPServerSession } from 'smtp-server';
import type { TlsFacts } from '../net/types.js';
import { sessionProtocolLog, type SessionProtocolLog } from '../observe/session-log.js';
import type { ProtocolLog } from '../observe/types.js';
import { bytesSent, commandDuration, commandLabel, commands, connectionsAccepted, connectionsOpen } from '../observe/metrics.js';

/** Longest reply text kept in the context column. */
const MAX_CONTEXT = 120;

/** What smtp-server calls on its `logger`: bunyan's (fields, message, ...args) form. */
export interface SmtpLibraryLogger {
  level(level: string): void;
  trace(...params: unknown[]): void;
  debug(...params: unknown[]): void;
  info(...params: unknown[]): void;
  warn(...params: unknown[]): void;
  error(...params: unknown[]): void;
  fatal(...params: unknown[]): void;
}

export interface SmtpProtocolObserver {
  /** Assign to SMTPServer.logger (replaces the library's no-op logger). */
  readonly logger: SmtpLibraryLogger;
  /** From onConnect: starts the session's rows ("Connected"). */
  attach(session: SMTPServerSession): void;
  /** From onClose: ends them ("Disconnected"). Idempotent. */
  detach(session: SMTPServerSession): void;
}

/** A command line as it may be logged: command verb, parameters (credentials masked) and size. */
export function smtpRequest(line: string, sasl: boolean): { command: string; parameters: string; rqsize: number } {
  // A SASL response (after 334) carries a credential: nothing of it is kept, not even its size.
  if (sasl) return { command: '*SASL*', parameters: '***', rqsize: 0 };
  const text = line.replace(/\r?\n$/, '');
  const sp = text.indexOf(' ');
  const verb = (sp < 0 ? text : text.slice(0, sp)).toUpperCase().slice(0, 40);
  let parameters = sp < 0 ? '' : text.slice(sp + 1).trim();
  let rqsize = Buffer.byteLength(text) + 2;
  if (verb === 'AUTH') {
    // AUTH MECH [initial-response]: the mechanism only; the size without the credential
    const mech = parameters.split(/\s+/, 1)[0] ?? '';
    const named = /^[A-Za-z0-9_-]{1,40}$/.test(mech) ? mech.toUpperCase() : '***';
    const hasResponse = parameters.length > mech.length;
    rqsize = Buffer.byteLength(`AUTH ${mech}`) + 2;
    parameters = hasResponse || named === '***' ? `${named} ***` : named;
  } else if (verb === 'WIZ') {
    // sendmail's WIZ takes a password (smtp-server answers it)
    parameters = parameters ? '***' : '';
  }
  return { command: verb, parameters, rqsize };
}

/** The context column for a reply: its first line; a 334 challenge keeps only its code. */
export function replyContext(payload: string): string {
  const code = payload.slice(0, 3);
  if (code === '334') return '334';
  const first = payload.split('\r\n', 1)[0] ?? '';
  const line = first.length > 3 && first[3] === '-' ? `${code} ${first.slice(4)}` : first;
  return line.length > MAX_CONTEXT ? line.slice(0, MAX_CONTEXT) + '…' : line;
}

interface Pending {
  command: string;
  parameters: string;
  rqsize: number;
  rpsize: number;
  started: number;
}

interface State {
  session: SMTPServerSession;
  plog: SessionProtocolLog;
  mode: 'none' | 'starttls' | 'implicit';
  tlsLabel: string;
  pending: Pending | null;
  /** The last reply was 334: the next line is a SASL response. */
  sasl: boolean;
  /** Whether a command has been seen (the greeting is not logged as a row). */
  spoken: boolean;
}

function userOf(session: SMTPServerSession): string {
  const u = session.user as { address?: unknown } | string | undefined | false;
  if (!u) return '';
  if (typeof u === 'string') return u;
  return typeof u.address === 'string' ? u.address : '';
}

function tlsOf(session: SMTPServerSession): TlsFacts | null {
  const t = session.tlsOptions;
  if (!session.secure || !t) return null;
  return { version: t.version, cipher: t.standardName ?? t.name, servername: typeof session.servername === 'string' ? session.servername : null };
}

/**
 * The observer of one submission service (all its listeners). `log` null writes no rows
 * (metrics are still counted); a log whose protocol-log-enabled is off drops them itself.
 */
export function smtpProtocolObserver(log: ProtocolLog | null, now: () => Date = () => new Date()): SmtpProtocolObserver {
  const sessions = new Map<string, State>();
  const protocol = 'smtp';

  const finish = (s: State, context: string): void => {
    const p = s.pending;
    if (!p) return;
    s.pending = null;
    const ms = performance.now() - p.started;
    const label = commandLabel(protocol, p.command);
    commands.inc({ protocol, command: label });
    commandDuration.observe({ protocol, command: label }, ms / 1000);
    s.plog.setUser(userOf(s.session));
    s.plog.command({ command: p.command, parameters: p.parameters, rqsize: p.rqsize, rpsize: p.rpsize, duration: ms, context });
  };

  const onCommand = (s: State, line: string): void => {
    // A command that got no reply (the library dropped it): closed without a context.
    finish(s, '');
    s.spoken = true;
    const req = smtpRequest(line, s.sasl || line === '/* secured */');
    s.sasl = false;
    if (req.command === 'AUTH') s.plog.setAuthMech(req.parameters.split(' ', 1)[0] ?? '');
    s.pending = { ...req, rpsize: 0, started: performance.now() };
  };

  const onReply = (s: State, payload: string): void => {
    const bytes = Buffer.byteLength(payload) + 2;
    bytesSent.inc({ protocol }, bytes);
    const code = payload.slice(0, 3);
    if (s.pending) {
      s.pending.rpsize += bytes;
      if (code === '354') return; // DATA goes on until the message's reply
      if (code === '334') s.sasl = true;
      finish(s, replyContext(payload));
      return;
    }
    // A reply to no command: the greeting (not a row) or a refusal/timeout (a row).
    if (code >= '400' || s.spoken) {
      s.plog.setUser(userOf(s.session));
      s.plog.command({ command: '', parameters: '', rqsize: 0, rpsize: bytes, duration: 0, context: replyContext(payload) });
    }
  };

  const onStartTls = (s: State): void => {
    s.mode = 'starttls';
    const label = 'starttls';
    if (label !== s.tlsLabel) {
      connectionsOpen.dec({ protocol, tls: s.tlsLabel });
      connectionsOpen.inc({ protocol, tls: label });
      s.tlsLabel = label;
    }
  };

  const handle = (level: string, params: unknown[]): void => {
    const entry = params[0];
    if (!entry || typeof entry !== 'object') return;
    const { tnx, cid } = entry as { tnx?: unknown; cid?: unknown };
    if (typeof cid !== 'string') return;
    const s = sessions.get(cid);
    if (!s) return;
    try {
      if (tnx === 'command' && level === 'debug' && params[1] === 'C:') onCommand(s, String(params[2] ?? ''));
      else if (tnx === 'send' && params[1] === 'S:') onReply(s, String(params[2] ?? ''));
      else if (tnx === 'data' && level === 'debug' && s.pending) {
        const n = Number((entry as { bytes?: unknown }).bytes);
        if (Number.isFinite(n) && n > 0) s.pending.rqsize += n;
      } else if (tnx === 'starttls') onStartTls(s);
    } catch {
      // observing must never disturb a session
    }
  };

  const logger: SmtpLibraryLogger = {
    level: () => {},
    trace: () => {},
    debug: (...params) => handle('debug', params),
    info: (...params) => handle('info', params),
    warn: () => {},
    error: () => {},
    fatal: () => {},
  };

  return {
    logger,
    attach(session: SMTPServerSession): void {
      if (sessions.has(session.id)) return;
      const mode = session.secure ? 'implicit' : 'none';
      let state: State | null = null;
      const facts = {
        get sessionId() { return session.id; },
        get remoteAddress() { return session.remoteAddress; },
        get remotePort() { return session.remotePort; },
        get localAddress() { return session.localAddress; },
        get localPort() { return session.localPort; },
        get tls() { return tlsOf(session); },
        get tlsMode() { return state?.mode ?? mode; },
      };
      const plog = sessionProtocolLog(log, facts, now);
      state = { session, plog, mode, tlsLabel: mode, pending: null, sasl: false, spoken: false };
      sessions.set(session.id, state);
      connectionsAccepted.inc({ protocol, tls: mode });
      connectionsOpen.inc({ protocol, tls: mode });
      plog.event('Connected');
    },
    detach(session: SMTPServerSession): void {
      const s = sessions.get(session.id);
      if (!s) return;
      sessions.delete(session.id);
      finish(s, '');
      connectionsOpen.dec({ protocol, tls: s.tlsLabel });
      s.plog.setUser(userOf(s.session));
      s.plog.event('Disconnected');
    },
  };
}
