/**
 * The IMAP frontend phase (not authenticated state): greeting, CAPABILITY, NOOP, LOGOUT,
 * STARTTLS, LOGIN, AUTHENTICATE (SASL-IR, "*" cancel), ID. The login policy comes from the
 * Authenticator and is applied before any credential is looked at. After a successful login the
 * connection, the account and any bytes already read are handed to the backend.
 */
import type { Connection } from '../net/types.js';
import type { Authenticator, AuthResult, LoginContext, PasswordAttempt } from '../auth/types.js';
import type { ImapSettings } from '../config/config.js';
import type { Logger } from '../core/log.js';
import type { Account } from '../store/store.js';
import { channelBindingOf } from '../auth/channel-binding.js';
import { CommandReader } from './reader.js';
import { RelayConnection } from './relay.js';
import { tokenizeCommand, ImapSyntaxError, type ImapToken } from './protocol/tokenizer.js';
import { tagOf } from './protocol/framer.js';
import { Args } from './protocol/args.js';
import { idResponse } from './commands/basic.js';
import { imapRequest, type SessionObserver } from '../observe/session-observer.js';

export interface ImapHandoff {
  connection: Connection;
  account: Account;
  /** Input already read by the frontend and not yet used (pipelined commands). */
  leftover: Buffer;
  /** Tag of the LOGIN/AUTHENTICATE command: the backend sends its tagged OK. */
  tag: string;
  mechanism: string;
  /** Protocol log and metrics of this connection, carried on by the backend session. */
  observer?: SessionObserver;
}

export interface LoginSessionDeps {
  connection: Connection;
  settings: () => ImapSettings;
  auth: Authenticator;
  /** The backend to hand a logged-in session to; null when it is disabled or stopped. */
  handoff: () => ((h: ImapHandoff) => void) | null;
  logger: Logger;
  /** Protocol log and metrics; `connection` should be observer.connection. */
  observer?: SessionObserver;
}

/** Consecutive BAD replies, and failed logins, after which a not-authenticated session ends. */
export const MAX_BAD_COMMANDS = 3;
export const MAX_FAILED_LOGINS = 3;

const POST_AUTH_ONLY = new Set(['SELECT', 'EXAMINE', 'CREATE', 'DELETE', 'RENAME', 'SUBSCRIBE', 'UNSUBSCRIBE', 'LIST', 'LSUB', 'STATUS', 'APPEND', 'CHECK', 'CLOSE', 'EXPUNGE', 'SEARCH', 'FETCH', 'STORE', 'COPY', 'MOVE', 'UID', 'IDLE', 'NAMESPACE', 'ENABLE', 'UNSELECT']);

type Outcome = { status: 'OK' | 'NO' | 'BAD'; code?: string; text: string } | 'handed-off' | 'closed' | 'silent';

export class LoginSession {
  private readonly conn: RelayConnection;
  private readonly reader: CommandReader;
  private badCount = 0;
  private failedLogins = 0;
  private done = false;

  constructor(private readonly deps: LoginSessionDeps) {
    this.conn = new RelayConnection(deps.connection);
    const s = deps.settings();
    this.reader = new CommandReader(this.conn, { maxLineSize: s.maxCommandSize, maxLiteralSize: Math.min(s.maxLiteralSize, 64 * 1024) }, () => {
      this.conn.write('+ Ready for literal data\r\n');
    });
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  private context(): LoginContext {
    const c = this.conn;
    return {
      protocol: 'imap4', sessionId: c.sessionId, remoteAddress: c.remoteAddress, localPort: c.localPort,
      tlsMode: c.tlsMode, secure: c.tls !== null, tlsVersion: c.tls?.version ?? null, tlsCipher: c.tls?.cipher ?? null,
      clientCertificate: c.tls?.clientCertificate ?? null,
    };
  }

  capabilities(): string[] {
    const ctx = this.context();
    const caps = ['IMAP4rev1', 'SASL-IR', 'LOGIN-REFERRALS', 'ID', 'ENABLE', 'IDLE', 'LITERAL+'];
    if (!ctx.secure && this.conn.listener.kind === 'starttls') caps.push('STARTTLS');
    if (!this.deps.auth.passwordLoginAllowed(ctx)) caps.push('LOGINDISABLED');
    for (const m of this.deps.auth.mechanisms(ctx)) caps.push(`AUTH=${m}`);
    return caps;
  }

  async start(): Promise<void> {
    this.conn.onData((chunk) => this.reader.feed(chunk));
    this.conn.onClose(() => this.reader.end());
    this.armTimeout();
    this.conn.write(`* OK [CAPABILITY ${this.capabilities().join(' ')}] ${this.deps.settings().banner}\r\n`);
    try {
      await this.loop();
    } catch (err) {
      this.log.error('imap-login-session-failed', { err: err instanceof Error ? err : new Error(String(err)) });
      this.conn.close('* BYE Internal error\r\n');
    }
  }

  private armTimeout(): void {
    this.conn.setIdleTimeout(this.deps.settings().preAuthenticatedConnectionTimeout * 1000, () => {
      this.conn.close('* BYE Disconnected for inactivity\r\n');
    });
  }

  private async loop(): Promise<void> {
    while (!this.done) {
      const r = await this.reader.next();
      if (!r) return;
      const req = r.kind === 'command' ? imapRequest(r.parts, r.literals) : { command: '', parameters: '', rqsize: 0 };
      const observed = this.deps.observer?.begin(req.command, req.parameters, req.rqsize);
      let outcome: Outcome;
      let tag: string | null = null;
      if (r.kind === 'error') {
        tag = r.tag;
        if (r.fatal) {
          this.conn.close(`${tag ?? '*'} BAD ${r.message}\r\n* BYE Protocol error\r\n`);
          observed?.('BAD');
          return;
        }
        outcome = r.reason === 'literal-too-big' ? { status: 'NO', code: 'TOOBIG', text: r.message } : { status: 'BAD', text: r.message };
      } else {
        try {
          const cmd = tokenizeCommand(r.parts, r.literals);
          tag = cmd.tag;
          outcome = await this.execute(cmd.tag, cmd.tokens);
        } catch (err) {
          tag = tag ?? tagOf(r.parts[0] ?? Buffer.alloc(0));
          outcome = { status: 'BAD', text: err instanceof ImapSyntaxError ? err.message : 'Syntax error' };
          if (!(err instanceof ImapSyntaxError)) this.log.error('imap-login-command-failed', { err: err instanceof Error ? err : new Error(String(err)) });
        }
      }
      if (outcome === 'handed-off' || outcome === 'closed' || outcome === 'silent') {
        observed?.(outcome === 'closed' ? 'Closed' : 'OK');
        if (outcome === 'silent') continue;
        return;
      }
      this.conn.write(`${tag ?? '*'} ${outcome.status}${outcome.code ? ` [${outcome.code}]` : ''} ${outcome.text}\r\n`);
      observed?.(outcome.status);
      if (outcome.status === 'BAD') {
        if (++this.badCount >= MAX_BAD_COMMANDS) {
          this.conn.close('* BYE Too many invalid commands\r\n');
          return;
        }
      } else {
        this.badCount = 0;
      }
      this.armTimeout();
    }
  }

  private async execute(tag: string, tokens: ImapToken[]): Promise<Outcome> {
    const first = tokens[0];
    if (!first || first.type !== 'atom') return { status: 'BAD', text: 'Missing command' };
    const name = first.value.toUpperCase();
    const args = new Args(tokens.slice(1), name);
    switch (name) {
      case 'CAPABILITY':
        args.end();
        this.conn.write(`* CAPABILITY ${this.capabilities().join(' ')}\r\n`);
        return { status: 'OK', text: 'Capability completed' };
      case 'NOOP':
        args.end();
        return { status: 'OK', text: 'NOOP completed' };
      case 'LOGOUT':
        args.end();
        this.done = true;
        this.conn.close(`* BYE Logging out\r\n${tag} OK Logout completed\r\n`);
        return 'closed';
      case 'ID': {
        const t = args.next('a parameter list or NIL');
        if (t.type !== 'list' && !(t.type === 'atom' && t.value.toUpperCase() === 'NIL')) throw new ImapSyntaxError('ID needs a parameter list or NIL');
        args.end();
        this.conn.write(`* ${idResponse()}\r\n`);
        return { status: 'OK', text: 'ID completed' };
      }
      case 'STARTTLS':
        return this.starttls(tag, args);
      case 'LOGIN': {
        const username = args.astring('a user name');
        const password = args.astring('a password');
        args.end();
        if (!this.deps.auth.passwordLoginAllowed(this.context())) {
          return { status: 'NO', code: 'PRIVACYREQUIRED', text: 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.' };
        }
        return this.finishLogin(tag, { username, password, mechanism: 'LOGIN' });
      }
      case 'AUTHENTICATE':
        return this.authenticate(tag, args);
      default:
        if (POST_AUTH_ONLY.has(name)) return { status: 'BAD', text: `${name} needs authentication first` };
        return { status: 'BAD', text: `Unknown command ${name.slice(0, 40)}` };
    }
  }

  private async starttls(tag: string, args: Args): Promise<Outcome> {
    args.end();
    if (this.conn.tlsMode !== 'none' || this.conn.listener.kind !== 'starttls') {
      return { status: 'BAD', text: 'TLS is already active' };
    }
    // Anything pipelined after STARTTLS in cleartext is discarded, never executed.
    this.reader.discard();
    this.conn.write(`${tag} OK Begin TLS negotiation now\r\n`);
    try {
      const upgrade = this.conn.startTls();
      this.reader.discard();
      await upgrade;
    } catch {
      this.done = true;
      return 'closed';
    }
    // (no discard here: input from now on arrived over TLS)
    this.badCount = 0;
    this.failedLogins = 0;
    this.armTimeout();
    return 'silent';
  }

  private async authenticate(tag: string, args: Args): Promise<Outcome> {
    const mech = args.atom('a SASL mechanism').toUpperCase();
    const initial = args.remaining ? args.astring('an initial response') : undefined;
    args.end();
    const ctx = this.context();
    const server = this.deps.auth.startSasl(ctx, mech, channelBindingOf(this.conn));
    if (!server) return { status: 'NO', text: `Unsupported authentication mechanism ${mech.slice(0, 40)}` };
    if (server.passwordBased && !this.deps.auth.passwordLoginAllowed(ctx)) {
      return { status: 'NO', code: 'PRIVACYREQUIRED', text: 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.' };
    }
    if (!this.deps.auth.mechanisms(ctx).includes(mech)) return { status: 'NO', text: `Unsupported authentication mechanism ${mech}` };
    let response: Buffer | null = null;
    if (initial !== undefined) {
      const d = decodeBase64(initial);
      if (!d) return { status: 'BAD', text: 'Invalid base64 in initial response' };
      response = d;
    }
    for (let round = 0; round < 10; round++) {
      const step = await server.step(response);
      if (this.conn.closed) return 'closed';
      if ('error' in step) return { status: 'NO', code: 'AUTHENTICATIONFAILED', text: step.error };
      if ('done' in step) return this.finishLogin(tag, step);
      this.conn.write(`+ ${step.challenge.toString('base64')}\r\n`);
      const r = await this.reader.next();
      if (!r) return 'closed';
      if (r.kind === 'command') this.deps.observer?.begin('*SASL*', '***', imapRequest(r.parts, r.literals).rqsize)('continuation');
      if (r.kind !== 'command' || r.literals.length) return { status: 'BAD', text: 'Invalid SASL response' };
      const line = Buffer.concat(r.parts).toString('latin1').trim();
      if (line === '*') return { status: 'BAD', text: 'Authentication cancelled' };
      const d = decodeBase64(line);
      if (!d) return { status: 'BAD', text: 'Invalid base64 in SASL response' };
      response = d;
    }
    return { status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Too many SASL steps' };
  }

  /** Ends a login: a password attempt to verify, or the result of a SASL exchange. */
  private async finishLogin(tag: string, attempt: PasswordAttempt | { result: AuthResult }): Promise<Outcome> {
    this.conn.pause();
    let res: AuthResult;
    try {
      res = 'result' in attempt ? attempt.result : await this.deps.auth.authenticatePassword(this.context(), attempt);
    } finally {
      if (!this.conn.closed) this.conn.resume();
    }
    if (this.conn.closed) return 'closed';
    if (!res.ok) {
      const code = res.reason === 'policy' ? 'PRIVACYREQUIRED' : res.reason === 'authz' ? 'AUTHORIZATIONFAILED' : res.reason === 'unavailable' ? 'UNAVAILABLE' : 'AUTHENTICATIONFAILED';
      if (++this.failedLogins >= MAX_FAILED_LOGINS) {
        this.done = true;
        this.conn.close(`${tag} NO [${code}] ${res.message}\r\n* BYE Too many failed logins\r\n`);
        return 'closed';
      }
      return { status: 'NO', code, text: res.message };
    }
    const serve = this.deps.handoff();
    if (!serve) return { status: 'NO', code: 'UNAVAILABLE', text: 'Mailbox service is temporarily unavailable, try again later' };
    this.done = true;
    const leftover = this.reader.drain();
    this.reader.end();
    this.conn.release();
    this.log.info('imap-login', { user: res.account.address, mechanism: res.mechanism, insecure: res.insecure });
    serve({ connection: this.conn, account: res.account, leftover, tag, mechanism: res.mechanism, observer: this.deps.observer });
    return 'handed-off';
  }
}

function decodeBase64(s: string): Buffer | null {
  if (s === '=') return Buffer.alloc(0);
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return Buffer.from(s, 'base64');
}
