/**
 * The two POP3 services for main.ts and the e2e tests: `pop3` (the frontend: listeners, greeting,
 * CAPA, STLS, login) and `pop3-backend` (the maildrop session). In one process the hand-off is a
 * call: the frontend asks `backend()` for the backend at each login; null means the backend
 * service is disabled or stopped, and a correct login then gets -ERR [SYS/TEMP].
 */
import type { Authenticator } from '../auth/types.js';
import type { PopSettings } from '../config/config.js';
import type { Logger } from '../core/log.js';
import { startListeners, type ListenerSpec, type RunningService } from '../net/listener.js';
import type { TlsContextProvider } from '../tls/provider.js';
import { Pop3Session } from './session.js';
import { errLine } from './protocol.js';
import type { Pop3Backend } from './types.js';
import { observeSession } from '../observe/session-observer.js';
import type { ProtocolLog } from '../observe/types.js';

export { createPop3Backend, type Pop3BackendDeps } from './maildrop.js';
export type { Pop3Backend, Pop3Transaction, MaildropLocks } from './types.js';

export interface Pop3FrontendDeps {
  settings: () => PopSettings;
  tls: TlsContextProvider;
  auth: Authenticator;
  backend: () => Pop3Backend | null;
  logger: Logger;
  /** The pop3 protocol log (rows only while protocol-log-enabled is true). */
  protocolLog?: ProtocolLog | null;
  /** Load balancers that send a PROXY header (trusted-proxies), read for each connection. */
  trustedProxies?: () => readonly string[];
}

/** How long stop() lets sessions finish the command in progress before cutting them off. */
const STOP_GRACE_MS = 10_000;

export async function startPop3Frontend(deps: Pop3FrontendDeps): Promise<RunningService> {
  const settings = deps.settings();
  const specs: ListenerSpec[] = [
    ...settings.sslBindings.map((binding) => ({ binding, kind: 'implicit' as const })),
    ...settings.unencryptedOrTlsBindings.map((binding) => ({ binding, kind: 'starttls' as const })),
  ];
  const sessions = new Set<Pop3Session>();
  const logger = deps.logger.child({ service: 'pop3' });
  const listeners = await startListeners({
    service: 'pop3',
    listeners: specs,
    tls: deps.tls,
    limits: () => {
      const s = deps.settings();
      return { maxConnections: s.maxConnections, maxConnectionFromSingleIp: s.maxConnectionFromSingleIp };
    },
    refusal: (reason) => errLine(reason === 'max-connections'
      ? 'Too many connections to this server, try again later'
      : 'Too many connections from your address, try again later', 'SYS/TEMP'),
    logger,
    ...(deps.trustedProxies ? { trustedProxies: deps.trustedProxies } : {}),
    onConnection: (conn) => {
      const observer = observeSession({ protocol: 'pop3', log: deps.protocolLog ?? null, connection: conn });
      // The backend is told the client connection (a remote one passes on its address and TLS facts).
      const backend = (): Pop3Backend | null => {
        const b = deps.backend();
        return b ? { openMaildrop: (req) => b.openMaildrop({ ...req, client: conn }) } : null;
      };
      const session = new Pop3Session(observer.connection, { settings: deps.settings, auth: deps.auth, backend, logger: deps.logger, observer });
      sessions.add(session);
      void session.closed.then(() => sessions.delete(session));
    },
  });

  let stopping: Promise<void> | null = null;
  return {
    listeners,
    stop(): Promise<void> {
      stopping ??= (async () => {
        await listeners.close();
        const all = Promise.all([...sessions].map((s) => s.shutdown()));
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, STOP_GRACE_MS);
          timer.unref();
        });
        await Promise.race([all, grace]);
        clearTimeout(timer);
        for (const s of sessions) s.close();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}
