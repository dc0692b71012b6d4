/**
 * The POP3 frontend phase (AUTHORIZATION state): CAPA contents, STLS, USER/PASS, AUTH (RFC 5034,
 * PLAIN and LOGIN with initial response and "*" cancel) and QUIT. The login policy comes from
 * the Authenticator and is applied before any credential is looked at. A successful login opens
 * the maildrop through the backend; without a backend the login is refused with [SYS/TEMP].
 */
import { channelBindingOf } from '../auth/channel-binding.js';
import type { AuthResult, LoginContext, PasswordAttempt, SaslExchange } from '../auth/types.js';
import { isMailError } from '../core/errors.js';
import type { Account } from '../store/store.js';
import { decodeBase64Strict, errLine, okLine, type PopCommand } from './protocol.js';
import type { Pop3Session } from './session.js';

/** Failed logins on one connection after which it is closed. */
export const MAX_LOGIN_FAILURES = 3;

const POLICY_TEXT = 'Plaintext authentication is not allowed on an unencrypted connection; use STLS or the TLS port first';
const FAILED_TEXT = 'Authentication failed';

function policyCtx(session: Pop3Session): Pick<LoginContext, 'protocol' | 'secure' | 'clientCertificate'> {
  return { protocol: 'pop3', secure: session.conn.tls !== null, clientCertificate: session.conn.tls?.clientCertificate ?? null };
}

/** The CAPA list for the session's state and connection (RFC 2449). */
export function capabilities(session: Pop3Session): string[] {
  const s = session.settings;
  const caps = ['TOP', 'UIDL'];
  const before = session.state === 'authorization';
  if (before) {
    const ctx = policyCtx(session);
    if (session.deps.auth.passwordLoginAllowed(ctx)) caps.push('USER');
    const mechs = session.deps.auth.mechanisms(ctx);
    if (mechs.length > 0) caps.push(`SASL ${mechs.join(' ')}`);
  }
  caps.push('RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING');
  if (before && session.conn.tlsMode === 'none' && session.conn.listener.kind === 'starttls') caps.push('STLS');
  if (s.loginDelay > 0) caps.push(`LOGIN-DELAY ${s.loginDelay}`);
  caps.push(`EXPIRE ${s.expireDays < 0 ? 'NEVER' : s.expireDays}`);
  caps.push('IMPLEMENTATION Portcullis');
  return caps;
}

export class LoginPhase {
  private user: string | null = null;
  private sasl: SaslExchange | null = null;
  private failures = 0;

  constructor(private readonly session: Pop3Session) {}

  get saslActive(): boolean {
    return this.sasl !== null;
  }

  cancelSasl(): void {
    this.sasl = null;
  }

  async execute(cmd: PopCommand): Promise<void> {
    switch (cmd.verb) {
      case 'QUIT':
        this.session.close(okLine('Portcullis POP3 server signing off'));
        return;
      case 'STLS':
        return this.stls(cmd);
      case 'USER':
        return this.userCommand(cmd);
      case 'PASS':
        return this.passCommand(cmd);
      case 'AUTH':
        return this.authCommand(cmd);
      case 'APOP':
        this.session.write(errLine('APOP is not supported; use USER/PASS or AUTH over TLS'));
        return;
      default:
        this.session.write(errLine(`${cmd.verb} is not valid here`));
    }
  }

  private async stls(cmd: PopCommand): Promise<void> {
    const { session } = this;
    const conn = session.conn;
    if (cmd.args.length > 0) {
      session.write(errLine('Syntax: STLS takes no arguments'));
      return;
    }
    if (conn.tlsMode !== 'none') {
      session.write(errLine('Already using TLS'));
      return;
    }
    if (conn.listener.kind !== 'starttls') {
      session.write(errLine('STLS is not available on this port'));
      return;
    }
    // RFC 2595 / issue 4 item 4: nothing pipelined after STLS may run; pre-TLS state is forgotten.
    session.discardPendingInput();
    this.user = null;
    this.sasl = null;
    session.write(okLine('Begin TLS negotiation'));
    try {
      await conn.startTls();
      session.discardPendingInput();
      session.log.info('stls', { tls: conn.tls?.version, cipher: conn.tls?.cipher });
    } catch (err) {
      session.log.info('stls-failed', { reason: err instanceof Error ? err.message : String(err) });
    }
  }

  private userCommand(cmd: PopCommand): void {
    const { session } = this;
    if (!session.deps.auth.passwordLoginAllowed(policyCtx(session))) {
      this.user = null;
      session.write(errLine(POLICY_TEXT, 'AUTH'));
      return;
    }
    const name = cmd.rest.trim();
    if (name === '' || cmd.args.length !== 1) {
      session.write(errLine('Syntax: USER <name>'));
      return;
    }
    this.user = name;
    session.write(okLine('Send your password'));
  }

  private async passCommand(cmd: PopCommand): Promise<void> {
    const { session } = this;
    const user = this.user;
    this.user = null;
    if (!session.deps.auth.passwordLoginAllowed(policyCtx(session))) {
      session.write(errLine(POLICY_TEXT, 'AUTH'));
      return;
    }
    if (user === null) {
      session.write(errLine('Send USER first'));
      return;
    }
    if (cmd.rest === '') {
      session.write(errLine('Syntax: PASS <password>'));
      return;
    }
    await this.authenticate({ username: user, password: cmd.rest, mechanism: 'USER' });
  }

  private async authCommand(cmd: PopCommand): Promise<void> {
    const { session } = this;
    const ctx = policyCtx(session);
    const offered = session.deps.auth.mechanisms(ctx);
    if (cmd.args.length === 0) {
      // RFC 1734 style listing, used by some clients to discover mechanisms.
      session.write(okLine('Supported mechanisms follow') + offered.map((m) => m + '\r\n').join('') + '.\r\n');
      return;
    }
    if (cmd.args.length > 2) {
      session.write(errLine('Syntax: AUTH <mechanism> [initial-response]'));
      return;
    }
    const mechanism = cmd.args[0].toUpperCase();
    const server = session.deps.auth.startSasl(this.loginContext(), mechanism, channelBindingOf(session.conn));
    if (!server) {
      session.write(errLine('Unsupported authentication mechanism'));
      return;
    }
    // Policy before credentials: the initial response is not even decoded when refused.
    if (!offered.includes(mechanism) || (server.passwordBased && !session.deps.auth.passwordLoginAllowed(ctx))) {
      session.write(errLine(POLICY_TEXT, 'AUTH'));
      return;
    }
    this.sasl = server;
    if (cmd.args.length === 2) {
      const initial = decodeBase64Strict(cmd.args[1]);
      if (!initial) {
        this.sasl = null;
        session.write(errLine('Invalid base64 in initial response; AUTH cancelled'));
        return;
      }
      await this.step(initial);
    } else {
      await this.step(null);
    }
  }

  /** A line received while a SASL exchange waits for the client's response. */
  async saslResponse(line: string): Promise<void> {
    const { session } = this;
    if (line.trim() === '*') {
      this.sasl = null;
      session.write(errLine('AUTH cancelled by client'));
      return;
    }
    const decoded = decodeBase64Strict(line);
    if (!decoded) {
      this.sasl = null;
      session.write(errLine('Invalid base64 in response; AUTH cancelled'));
      return;
    }
    await this.step(decoded);
  }

  private async step(response: Buffer | null): Promise<void> {
    const server = this.sasl;
    if (!server) return;
    const r = await server.step(response);
    if (this.session.conn.closed) return;
    if ('challenge' in r) {
      this.session.write(`+ ${r.challenge.toString('base64')}\r\n`);
      return;
    }
    this.sasl = null;
    if ('error' in r) {
      this.session.write(errLine(r.error, 'AUTH'));
      this.failed();
      return;
    }
    await this.authenticate(r);
  }

  private loginContext(): LoginContext {
    const conn = this.session.conn;
    return {
      protocol: 'pop3', sessionId: conn.sessionId, remoteAddress: conn.remoteAddress, localPort: conn.localPort,
      secure: conn.tls !== null, tlsVersion: conn.tls?.version ?? null, tlsCipher: conn.tls?.cipher ?? null, tlsMode: conn.tlsMode,
      clientCertificate: conn.tls?.clientCertificate ?? null,
    };
  }

  /** Ends a login: a password attempt to verify (USER/PASS), or the result of a SASL exchange. */
  private async authenticate(attempt: PasswordAttempt | { result: AuthResult }): Promise<void> {
    const { session } = this;
    let result;
    try {
      result = 'result' in attempt ? attempt.result : await session.deps.auth.authenticatePassword(this.loginContext(), attempt);
    } catch (err) {
      session.log.error('auth-exception', { err: err instanceof Error ? err : new Error(String(err)) });
      session.write(errLine('Authentication is temporarily unavailable, try again later', 'SYS/TEMP'));
      return;
    }
    if (session.conn.closed) return;
    if (!result.ok) {
      switch (result.reason) {
        case 'policy':
          session.write(errLine(POLICY_TEXT, 'AUTH'));
          break;
        case 'unavailable':
          session.write(errLine('Authentication is temporarily unavailable, try again later', 'SYS/TEMP'));
          return;
        case 'throttled':
          session.write(errLine('Too many failed logins, try again later', 'AUTH'));
          break;
        case 'authz':
          session.write(errLine('Authorization failed', 'AUTH'));
          break;
        default: // 'credentials', 'disabled': one text, nothing revealed
          session.write(errLine(FAILED_TEXT, 'AUTH'));
      }
      this.failed();
      return;
    }
    await this.openMaildrop(result.account, result.mechanism);
  }

  private failed(): void {
    this.failures++;
    if (this.failures >= MAX_LOGIN_FAILURES) {
      this.session.log.info('too-many-login-failures');
      this.session.close();
    }
  }

  private async openMaildrop(account: Account, mechanism: string): Promise<void> {
    const { session } = this;
    const backend = session.deps.backend();
    if (!backend) {
      session.log.warn('backend-unavailable', { user: account.address });
      session.write(errLine('The mailbox service is not running right now, try again later', 'SYS/TEMP'));
      return;
    }
    try {
      const txn = await backend.openMaildrop({ account, sessionId: session.conn.sessionId, logger: session.log });
      if (session.conn.closed) {
        await txn.abort();
        return;
      }
      session.enterTransaction(txn);
      session.deps.observer?.setUser(account.address);
      session.log.info('login', { user: account.address, mechanism, messages: txn.count });
      session.write(okLine(`Logged in; maildrop has ${txn.count} message${txn.count === 1 ? '' : 's'} (${txn.octets} octets)`));
    } catch (err) {
      if (isMailError(err, 'INUSE')) {
        session.write(errLine('Maildrop is in use by another POP3 session', 'IN-USE'));
        return;
      }
      session.log.error('maildrop-open-failed', { user: account.address, err: err instanceof Error ? err : new Error(String(err)) });
      session.write(errLine('Cannot open the maildrop right now, try again later', 'SYS/TEMP'));
    }
  }
}
