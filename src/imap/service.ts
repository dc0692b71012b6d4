/**
 * The two IMAP services: imap4 (frontend: listeners, TLS, login) and imap4-backend (the
 * authenticated sessions). In one process the hand-off is a function call.
 */
import type { MailboxService } from '../mailbox/types.js';
import type { ImapSettings } from '../config/config.js';
import type { Logger } from '../core/log.js';
import type { Authenticator } from '../auth/types.js';
import type { TlsContextProvider } from '../tls/provider.js';
import type { Connection } from '../net/types.js';
import { startListeners, type ListenerSpec, type RunningService } from '../net/listener.js';
import { LoginSession, type ImapHandoff } from './login.js';
import { ImapSession } from './session.js';
import { COMMANDS, postLoginCapabilities } from './commands/index.js';
import { observeSession } from '../observe/session-observer.js';
import type { ProtocolLog } from '../observe/types.js';
import type { ReadReceipts } from '../mailbox/read-receipts.js';

export type { ImapHandoff } from './login.js';

export interface ImapBackend {
  /** Serves an authenticated connection (writes the tagged OK of the login command). */
  serve(handoff: ImapHandoff): void;
  /** Capabilities of an authenticated session. */
  capabilities(): string[];
  /** Number of live sessions. */
  sessionCount(): number;
  /** Ends every session with BYE. */
  stop(): Promise<void>;
}

export function createImapBackend(deps: {
  mailboxes: MailboxService; settings: () => ImapSettings; logger: Logger;
  /** For sessions handed over without the frontend's observer (the frontend's log goes on otherwise). */
  protocolLog?: ProtocolLog | null;
  /** Server-sent read receipts (suppress-read-receipt false); absent: none. */
  readReceipts?: ReadReceipts | null;
}): ImapBackend {
  const sessions = new Set<ImapSession>();
  let emptied: Array<() => void> = [];
  const ended = (session: ImapSession): void => {
    sessions.delete(session);
    if (sessions.size === 0) {
      const w = emptied;
      emptied = [];
      w.forEach((f) => f());
    }
  };
  const capabilities = (): string[] => postLoginCapabilities(deps.mailboxes.limits.maxMessageSize);
  return {
    capabilities,
    sessionCount: () => sessions.size,
    serve(h: ImapHandoff): void {
      const limit = deps.settings().maxConnectionsPerUser;
      let mine = 0;
      for (const s of sessions) if (s.account.id === h.account.id) mine++;
      if (mine >= limit) {
        deps.logger.info('imap-user-limit', { user: h.account.address, limit });
        h.connection.close(`${h.tag} NO [LIMIT] Too many sessions for this user (at most ${limit})\r\n* BYE Too many sessions\r\n`);
        return;
      }
      const observer = h.observer ?? observeSession({ protocol: 'imap4', log: deps.protocolLog ?? null, connection: h.connection });
      observer.setUser(h.account.address);
      observer.setAuthMech(h.mechanism);
      const session = new ImapSession({
        observer, connection: h.observer ? h.connection : observer.connection, account: h.account, mailboxes: deps.mailboxes.forAccount(h.account),
        settings: deps.settings, logger: deps.logger.child({ session: h.connection.sessionId, user: h.account.address }),
        capabilities, commands: COMMANDS, leftover: h.leftover, onEnd: () => ended(session), readReceipts: deps.readReceipts ?? null,
      });
      sessions.add(session);
      void session.start(h.tag).catch((err: unknown) => {
        deps.logger.error('imap-session-failed', { err: err instanceof Error ? err : new Error(String(err)) });
        ended(session);
      });
    },
    /** Ends every session: idle ones at once, busy ones after their command in flight (at most 10 s). */
    async stop(): Promise<void> {
      if (!sessions.size) return;
      const done = new Promise<void>((resolve) => {
        emptied.push(resolve);
        setTimeout(resolve, 10_000).unref();
      });
      for (const s of sessions) s.shutdown('Server shutting down');
      await done;
    },
  };
}

export async function startImapFrontend(deps: {
  settings: () => ImapSettings;
  tls: TlsContextProvider;
  auth: Authenticator;
  backend: () => ImapBackend | null;
  logger: Logger;
  /** The imap4 protocol log (rows only while protocol-log-enabled is true). */
  protocolLog?: ProtocolLog | null;
  /** Load balancers that send a PROXY header (trusted-proxies), read for each connection. */
  trustedProxies?: () => readonly string[];
}): Promise<RunningService> {
  const s = deps.settings();
  const listeners: ListenerSpec[] = [
    ...s.sslBindings.map((binding) => ({ binding, kind: 'implicit' as const })),
    ...s.unencryptedOrTlsBindings.map((binding) => ({ binding, kind: 'starttls' as const })),
  ];
  /** Connections still in the frontend phase (authenticated ones belong to the backend). */
  const preauth = new Set<Connection>();
  const running = await startListeners({
    service: 'imap4',
    listeners,
    tls: deps.tls,
    limits: () => ({ maxConnections: deps.settings().maxConnections, maxConnectionFromSingleIp: deps.settings().maxConnectionFromSingleIp }),
    refusal: (reason) => `* BYE [LIMIT] ${reason === 'max-per-ip' ? 'Too many connections from your address' : 'Too many connections'}\r\n`,
    logger: deps.logger,
    ...(deps.trustedProxies ? { trustedProxies: deps.trustedProxies } : {}),
    onConnection: (raw) => {
      const observer = observeSession({ protocol: 'imap4', log: deps.protocolLog ?? null, connection: raw });
      const conn = observer.connection;
      preauth.add(conn);
      const session = new LoginSession({
        observer, connection: conn, settings: deps.settings, auth: deps.auth, logger: deps.logger.child({ session: conn.sessionId }),
        handoff: () => {
          const b = deps.backend();
          return b ? (h) => { preauth.delete(conn); b.serve(h); } : null;
        },
      });
      void session.start().catch((err: unknown) => {
        deps.logger.error('imap-login-session-failed', { err: err instanceof Error ? err : new Error(String(err)) });
        conn.close();
      }).finally(() => preauth.delete(conn));
    },
  });
  return {
    listeners: running,
    /** Stops accepting and ends sessions that have not logged in; the backend ends its own. */
    async stop(): Promise<void> {
      await running.close();
      for (const c of preauth) c.close('* BYE Server shutting down\r\n');
      preauth.clear();
    },
  };
}
