/**
 * The scale-out wiring of one node, for main.ts: the remote IMAP and POP3 backends a frontend
 * uses when its proxy-targets are set (with their health checks), and the backend-bindings
 * listeners through which this node's backends accept sessions from remote frontends (started
 * only with a usable cluster secret and a running backend service; restarted when bindings or
 * the secret change). Prints "imap4-backend listening on ADDR:PORT (internal TLS)".
 */
import { createHash } from 'node:crypto';
import type { ImapSettings, PopSettings, ServerSettings } from '../config/config.js';
import { formatBinding } from '../config/config.js';
import type { Logger } from '../core/log.js';
import type { Account } from '../store/store.js';
import type { TlsContextProvider } from '../tls/provider.js';
import type { ImapBackend } from '../imap/service.js';
import type { Pop3Backend } from '../pop3/types.js';
import { startBackendListener, type RunningBackendListener } from './backend-listener.js';
import { BackendDialer } from './dialer.js';
import { createRemoteImapBackend, type RemoteImapBackend } from './remote-imap.js';
import { createRemotePop3Backend, type RemotePop3Backend } from './remote-pop3.js';
import { readClusterSecret } from './secret.js';

export interface ClusterNodeDeps {
  imap: () => ImapSettings;
  pop: () => PopSettings;
  server: () => ServerSettings;
  imapTls: TlsContextProvider;
  popTls: TlsContextProvider;
  accounts: { getAccount(address: string): Promise<Account | null> };
  maxMessageSize: () => number;
  logger: Logger;
  /** Where listener lines go (stdout in the server). */
  print?: (line: string) => void;
}

export interface ClusterNode {
  readonly imapRemote: RemoteImapBackend;
  readonly popRemote: RemotePop3Backend;
  /** The backend the imap4 frontend uses: remote when proxy-targets are set (null while none is healthy), else `local`. */
  imapBackend(local: ImapBackend | null): ImapBackend | null;
  popBackend(local: Pop3Backend | null): Pop3Backend | null;
  /** Whether a protocol's frontend proxies to remote backends (it then needs no local one). */
  proxied(protocol: 'imap4' | 'pop3'): boolean;
  /** Starts, restarts or stops the backend-bindings listeners to match settings and running backends. */
  reconcile(running: { imap: ImapBackend | null; pop: Pop3Backend | null }): Promise<void>;
  stop(): Promise<void>;
}

export function createClusterNode(deps: ClusterNodeDeps): ClusterNode {
  const log = deps.logger;
  const print = deps.print ?? ((line: string) => process.stdout.write(line + '\n'));
  let warned = '';
  const secret = (): Buffer | null => {
    const s = readClusterSecret(deps.server().clusterSecretFile);
    if (Buffer.isBuffer(s)) return s;
    if (s.error !== warned && (deps.imap().proxyTargets.length || deps.pop().proxyTargets.length || deps.imap().backendBindings.length || deps.pop().backendBindings.length)) {
      log.warn('cluster-secret-unusable', { detail: s.error });
    }
    warned = s.error;
    return null;
  };
  const imapDialer = new BackendDialer({ protocol: 'imap4', targets: () => deps.imap().proxyTargets, defaultPort: () => deps.imap().proxyTargetPort, secret, logger: log.child({ service: 'imap4-proxy' }) });
  const popDialer = new BackendDialer({ protocol: 'pop3', targets: () => deps.pop().proxyTargets, defaultPort: () => deps.pop().proxyTargetPort, secret, logger: log.child({ service: 'pop3-proxy' }) });
  imapDialer.router.start();
  popDialer.router.start();
  const imapRemote = createRemoteImapBackend({ dialer: imapDialer, logger: log.child({ service: 'imap4-proxy' }), maxMessageSize: deps.maxMessageSize });
  const popRemote = createRemotePop3Backend({ dialer: popDialer });

  const listeners: Record<'imap4-backend' | 'pop3-backend', { key: string; running: RunningBackendListener } | null> = { 'imap4-backend': null, 'pop3-backend': null };
  let current: { imap: ImapBackend | null; pop: Pop3Backend | null } = { imap: null, pop: null };

  const reconcileOne = async (service: 'imap4-backend' | 'pop3-backend'): Promise<void> => {
    const settings = service === 'imap4-backend' ? deps.imap() : deps.pop();
    const present = service === 'imap4-backend' ? current.imap !== null : current.pop !== null;
    const path = deps.server().clusterSecretFile;
    const s = settings.backendBindings.length && present ? secret() : null;
    const key = s ? JSON.stringify([settings.backendBindings.map(formatBinding), path, createHash('sha256').update(s).digest('hex')]) : '';
    const now = listeners[service];
    if (now && now.key !== key) {
      await now.running.close();
      listeners[service] = null;
      log.info('service-stopped', { service, listener: 'backend-bindings' });
    }
    if (!key || listeners[service]) return;
    try {
      const running = await startBackendListener({
        service, bindings: settings.backendBindings,
        tls: service === 'imap4-backend' ? deps.imapTls : deps.popTls,
        secret, trustedFrontends: () => deps.server().trustedFrontends,
        accounts: deps.accounts,
        ...(service === 'imap4-backend' ? { imap: () => current.imap } : { pop3: () => current.pop }),
        logger: log.child({ service }),
      });
      listeners[service] = { key, running };
      for (const a of running.addresses()) print(`${service} listening on ${a.address}:${a.port} (internal TLS)`);
    } catch (err) {
      log.error('backend-listener-failed', { service, err: err instanceof Error ? err : new Error(String(err)) });
    }
  };

  return {
    imapRemote,
    popRemote,
    imapBackend: (local) => (deps.imap().proxyTargets.length ? (imapDialer.available() ? imapRemote : null) : local),
    popBackend: (local) => (deps.pop().proxyTargets.length ? (popDialer.available() ? popRemote : null) : local),
    proxied: (protocol) => (protocol === 'imap4' ? deps.imap() : deps.pop()).proxyTargets.length > 0,
    async reconcile(running) {
      current = running;
      await reconcileOne('imap4-backend');
      await reconcileOne('pop3-backend');
    },
    async stop() {
      imapDialer.router.stop();
      popDialer.router.stop();
      for (const l of Object.values(listeners)) await l?.running.close();
      await imapRemote.stop();
    },
  };
}
