/**
 * Wires config, store, mailbox layer, authentication, TLS and listeners: the only module that
 * imports every layer. `runServer` starts every service whose startup type is Automatic,
 * applies changed settings on SIGHUP (bindings, certificates, limits, services) and stops
 * gracefully on SIGTERM/SIGINT.
 */
import { Logger } from './core/log.js';
import { loadConfig, imapSettings, popSettings, serverSettings, type ConfigFile } from './config/config.js';
import { checkRunAsUser, dropPrivileges } from './admin/privileges.js';
import type { ServiceName } from './config/schema.js';
import { openStore } from './store/open.js';
import { createMailboxService } from './mailbox/service.js';
import { createAuthenticator } from './auth/authenticator.js';
import { openServerTls, type ServerTls } from './tls/server-tls.js';
import { createImapBackend, startImapFrontend } from './imap/service.js';
import { createPop3Backend, startPop3Frontend } from './pop3/service.js';
import { smtpSettings, lmtpSettings } from './smtp/settings.js';
import { startSubmission } from './smtp/submission.js';
import { startLmtp } from './smtp/lmtp.js';
import { openOutboundQueue } from './smtp/queue.js';
import type { RunningService } from './net/listener.js';
import { clearRunStatus, writeRunStatus, type RunStatus, type ServiceStatus } from './admin/runstate.js';
import type { MailStore } from './store/store.js';
import type { MailboxService } from './mailbox/types.js';
import type { Authenticator } from './auth/types.js';
import { createSecurityLog, securityLogDir } from './observe/security-log.js';
import { loginEvent } from './observe/types.js';

export interface Server {
  reload(): Promise<void>;
  stop(): Promise<void>;
}

interface Ctx {
  dataDir: string;
  cfg: ConfigFile;
  logger: Logger;
  store: MailStore;
  mailboxes: MailboxService;
  auth: Authenticator;
  tls: ServerTls;
}

type Backend = ReturnType<typeof createImapBackend> | ReturnType<typeof createPop3Backend>;

export async function runServer(dataDir: string, logger = new Logger()): Promise<Server> {
  let cfg = loadConfig(dataDir);
  const runAs = checkRunAsUser(serverSettings(cfg).runAsUser, dataDir);
  const store = await openStore(dataDir, cfg);
  const mailboxes = createMailboxService(store);
  const securityLog = createSecurityLog({ dir: securityLogDir(dataDir), logger });
  const auth = createAuthenticator({
    store,
    logger,
    onAttempt: (c, attempt, outcome) => securityLog.record(loginEvent(c, attempt, outcome, { tlsMode: c.tlsMode })),
    loginTypes: () => ({ imap4: imapSettings(cfg).loginType, pop3: popSettings(cfg).loginType, smtp: smtpSettings(cfg).loginType }),
  });
  const tls = await openServerTls(dataDir, logger, () => ({ minVersion: serverSettings(cfg).tlsMinVersion }));
  // The outbound queue runs whenever submission is enabled, and keeps what it holds on disk.
  const queue = openOutboundQueue({ dataDir, settings: () => smtpSettings(cfg), mailboxes, logger: logger.child({ service: 'queue' }) });
  let queueRunning = false;
  const ctx: Ctx = { dataDir, cfg, logger, store, mailboxes, auth, tls };

  const backends: Partial<Record<ServiceName, Backend>> = {};
  const frontends: Partial<Record<ServiceName, RunningService>> = {};
  const startedAt = new Date().toISOString();

  function status(): void {
    const services: RunStatus['services'] = {};
    for (const name of Object.keys(cfg.services) as ServiceName[]) {
      let s: ServiceStatus = backends[name] || frontends[name] ? 'Running' : 'Stopped';
      if (name === 'imap4' && frontends.imap4 && !backends['imap4-backend']) s = 'Degraded';
      if (name === 'pop3' && frontends.pop3 && !backends['pop3-backend']) s = 'Degraded';
      services[name] = s;
    }
    const listeners = Object.values(frontends).flatMap((f) => f!.listeners.addresses().map((a) => ({ service: a.service, kind: a.kind, address: a.address, port: a.port })));
    writeRunStatus(dataDir, { pid: process.pid, startedAt, services, listeners });
  }

  async function apply(): Promise<void> {
    const want = (name: ServiceName) => ctx.cfg.services[name] === 'Automatic';
    // Backends first, so a frontend never starts without the backend it can have.
    if (want('imap4-backend') && !backends['imap4-backend']) {
      backends['imap4-backend'] = createImapBackend({ mailboxes, settings: () => imapSettings(ctx.cfg), logger: logger.child({ service: 'imap4-backend' }) });
    } else if (!want('imap4-backend')) delete backends['imap4-backend'];
    if (want('pop3-backend') && !backends['pop3-backend']) {
      backends['pop3-backend'] = createPop3Backend({ mailboxes, locks: store, settings: () => popSettings(ctx.cfg), logger: logger.child({ service: 'pop3-backend' }) });
    } else if (!want('pop3-backend')) delete backends['pop3-backend'];

    // Frontends: (re)start when enabled state or bindings changed; stopping one closes its
    // listeners and leaves established sessions running.
    await reconcile('imap4', want('imap4'), JSON.stringify([imapSettings(ctx.cfg).sslBindings, imapSettings(ctx.cfg).unencryptedOrTlsBindings]), () =>
      startImapFrontend({
        settings: () => imapSettings(ctx.cfg),
        tls: tls.provider(() => imapSettings(ctx.cfg).x509CertificateName),
        auth,
        backend: () => (backends['imap4-backend'] as ReturnType<typeof createImapBackend> | undefined) ?? null,
        logger: logger.child({ service: 'imap4' }),
      }));
    await reconcile('pop3', want('pop3'), JSON.stringify([popSettings(ctx.cfg).sslBindings, popSettings(ctx.cfg).unencryptedOrTlsBindings]), () =>
      startPop3Frontend({
        settings: () => popSettings(ctx.cfg),
        tls: tls.provider(() => popSettings(ctx.cfg).x509CertificateName),
        auth,
        backend: () => (backends['pop3-backend'] as ReturnType<typeof createPop3Backend> | undefined) ?? null,
        logger: logger.child({ service: 'pop3' }),
      }));
    const smtp = smtpSettings(ctx.cfg);
    await reconcile('submission', want('submission'), JSON.stringify([smtp.sslBindings, smtp.unencryptedOrTlsBindings]), () =>
      startSubmission({
        settings: () => smtpSettings(ctx.cfg),
        tls: tls.provider(() => smtpSettings(ctx.cfg).tlsCertificateName),
        auth,
        mailboxes,
        queue,
        accounts: store,
        logger: logger.child({ service: 'submission' }),
      }));
    if (want('submission') && !queueRunning) {
      queue.start();
      queueRunning = true;
    } else if (!want('submission') && queueRunning) {
      await queue.stop();
      queueRunning = false;
    }
    await reconcile('lmtp', want('lmtp'), JSON.stringify(lmtpSettings(ctx.cfg).bindings), () =>
      startLmtp({ settings: () => lmtpSettings(ctx.cfg), mailboxes, store, logger: logger.child({ service: 'lmtp' }), fqdn: smtpSettings(ctx.cfg).fqdn }));
    if (want('admin')) logger.warn('service-not-available', { service: 'admin', detail: 'this build does not include the admin API yet; it stays stopped' });
    status();
  }

  const frontendKeys: Partial<Record<ServiceName, string>> = {};
  async function reconcile(name: ServiceName, enabled: boolean, key: string, start: () => Promise<RunningService>): Promise<void> {
    const running = frontends[name];
    if (running && (!enabled || frontendKeys[name] !== key)) {
      await running.listeners.close();
      delete frontends[name];
      logger.info('service-stopped', { service: name });
    }
    if (enabled && !frontends[name]) {
      frontends[name] = await start();
      frontendKeys[name] = key;
      for (const a of frontends[name]!.listeners.addresses()) {
        const how = name === 'lmtp' ? 'LMTP' : a.kind === 'implicit' ? 'implicit TLS' : 'STARTTLS';
        process.stdout.write(`${name} listening on ${a.address}:${a.port} (${how})\n`);
      }
    }
  }

  await apply();
  // Ports are bound: now give up root if the operator asked for it.
  if (runAs) process.stdout.write(`${dropPrivileges(runAs)}\n`);
  const enabled = Object.entries(cfg.services).filter(([, t]) => t === 'Automatic').map(([n]) => n);
  if (!enabled.length) process.stdout.write('No service is enabled (portcullis service enable NAME); waiting for SIGHUP.\n');
  for (const warning of tls.warnings()) process.stdout.write(`warning: ${warning}\n`);
  process.stdout.write('ready\n');

  return {
    async reload() {
      try {
        cfg = loadConfig(dataDir);
      } catch (err) {
        logger.error('reload-refused', { detail: (err as Error).message });
        return;
      }
      ctx.cfg = cfg;
      await tls.reload();
      await apply();
      logger.info('reloaded', {});
      process.stdout.write('reloaded\n');
    },
    async stop() {
      await Promise.all(Object.values(frontends).map((f) => f!.stop()));
      // Authenticated IMAP sessions end after their current command (POP3 sessions belong to
      // their frontend, which has just ended them without applying deletions).
      const imapBackend = backends['imap4-backend'] as ReturnType<typeof createImapBackend> | undefined;
      if (imapBackend) await imapBackend.stop();
      if (queueRunning) await queue.stop();
      clearRunStatus(dataDir);
      await securityLog.close();
      await store.close();
    },
  };
}
