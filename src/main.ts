/**
 * Wires config, store, mailbox layer, authentication, TLS and listeners: the only module that
 * imports every layer. `runServer` starts every service whose startup type is Automatic,
 * applies changed settings on SIGHUP or POST /api/reload (bindings, certificates, limits,
 * services, protocol logs) and stops gracefully on SIGTERM/SIGINT.
 */
import { Logger } from './core/log.js';
import { loadConfig, imapSettings, type Binding, popSettings, serverSettings, authSettings, directorySettings, type ConfigFile } from './config/config.js';
import { applyPasswordSettings, directoryFromSettings, oauthIssuers, throttleFromSettings } from './auth/from-config.js';
import { attachBlocksFile } from './auth/blocks-file.js';
import { checkRunAsUser, dropPrivileges } from './admin/privileges.js';
import type { ServiceName } from './config/schema.js';
import { openStore } from './store/open.js';
import { createMailboxService } from './mailbox/service.js';
import { createAuthenticator } from './auth/authenticator.js';
import { openServerTls, type ServerTls } from './tls/server-tls.js';
import { clientCaLoader } from './tls/client-cert.js';
import { hostMatches } from './tls/certinfo.js';
import { createImapBackend, startImapFrontend } from './imap/service.js';
import { createPop3Backend, startPop3Frontend } from './pop3/service.js';
import { smtpSettings, lmtpSettings } from './smtp/settings.js';
import { startSubmission } from './smtp/submission.js';
import { startLmtp } from './smtp/lmtp.js';
import { openOutboundQueue } from './smtp/queue.js';
import { createReadReceipts } from './mailbox/read-receipts.js';
import type { RunningService } from './net/listener.js';
import { clearRunStatus, writeRunStatus, type RunStatus, type ServiceStatus } from './admin/runstate.js';
import type { MailStore } from './store/store.js';
import type { MailboxService } from './mailbox/types.js';
import type { Authenticator } from './auth/types.js';
import { createSecurityLog, securityLogDir } from './observe/security-log.js';
import { createProtocolLog, preparedProtocolLogDir, protocolLogDir, protocolLogLimits } from './observe/protocol-log.js';
import type { ProtocolLog } from './observe/types.js';
import { collectServerGauges, serveClusterMetrics } from './observe/metrics.js';
import { timedMailboxService } from './observe/timed-mailboxes.js';
import { loginEvent, sanitiseUser } from './observe/types.js';
import { workerSlot } from './net/cluster.js';
import type { ChangeFeed } from './store/store.js';
import { startAdminApi, startControlSocket, type RunningAdminApi } from './admin/http/server.js';
import { ReloadError, type ServerControl } from './admin/http/control.js';
import { adminSettings } from './config/config.js';
import { createClusterNode } from './frontend/node.js';

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

/** What a protocol log is made from (imap, pop and smtp sections alike). */
type ProtocolLogSettings = Parameters<typeof protocolLogLimits>[0] & { logFileLocation: string; protocolLogEnabled: boolean };

type Backend = ReturnType<typeof createImapBackend> | ReturnType<typeof createPop3Backend>;

export interface RunServerOptions {
  /** Change feed shared with other processes on this machine (serve --workers); SQLite store only. */
  feed?: ChangeFeed;
}

export async function runServer(dataDir: string, logger = new Logger(), opts: RunServerOptions = {}): Promise<Server> {
  let cfg = loadConfig(dataDir);
  const runAs = checkRunAsUser(serverSettings(cfg).runAsUser, dataDir);
  // In a worker of `serve --workers N`, slot 0 speaks for the cluster in the run status (the
  // primary's pid: signals sent to it reach every worker) and alone runs the outbound relay
  // loop (the spool has no claim step, so two loops could send a message twice).
  const slot = workerSlot();
  const statusPid = slot === null ? process.pid : process.ppid;
  const leadSlot = slot === null || slot === 0;
  const sqlite = (cfg.store?.kind ?? 'sqlite') === 'sqlite';
  const store = await openStore(dataDir, cfg, sqlite && opts.feed ? { feed: opts.feed } : {});
  const mailboxes = createMailboxService(store);
  const securityLog = createSecurityLog({ dir: securityLogDir(dataDir), logger });
  // Protocol logs (DATA_DIR/logs/imap4, /pop3, /smtp, or log-file-location): rows only while
  // protocol-log-enabled is true (read live); re-created on reload when the directory, roll-over
  // or retention settings changed.
  const imapLog = liveProtocolLog('imap4', () => imapSettings(cfg));
  const popLog = liveProtocolLog('pop3', () => popSettings(cfg));
  const smtpLog = liveProtocolLog('smtp', () => smtpSettings(cfg));
  const timedMailboxes = timedMailboxService(mailboxes);
  const blocksRef = { changed: () => {} };
  applyPasswordSettings(authSettings(cfg));
  // Attack patterns the throttle detects: a warning in the server log and an event in the security log.
  const throttle = throttleFromSettings(authSettings(cfg), () => blocksRef.changed(), (e) => {
    logger.warn('auth-attack-detected', { kind: e.kind, network: e.network, user: sanitiseUser(e.account), count: e.count });
    securityLog.recordAttack({ time: new Date(), kind: e.kind, network: e.network, user: e.account, count: e.count });
  });
  const blocks = attachBlocksFile(throttle, dataDir, logger);
  blocksRef.changed = () => blocks.changed();
  // SASL EXTERNAL: client certificates are requested (and EXTERNAL offered) while the CA file is set and readable.
  const clientCa = clientCaLoader(() => authSettings(cfg).clientCertificateCaFile, (detail) => logger.warn('client-certificates', { detail }));
  const auth = createAuthenticator({
    clientCertificates: () => (clientCa() ? { identity: authSettings(cfg).clientCertificateIdentity } : null),
    store,
    logger,
    throttle,
    masterUsers: () => authSettings(cfg).masterUsers,
    oauth: oauthIssuers(() => authSettings(cfg).oauthIssuersFile),
    directory: directoryFromSettings(directorySettings(cfg)),
    onAttempt: (c, attempt, outcome) => securityLog.record(loginEvent(c, attempt, outcome, { tlsMode: c.tlsMode })),
    loginTypes: () => ({ imap4: imapSettings(cfg).loginType, pop3: popSettings(cfg).loginType, smtp: smtpSettings(cfg).loginType }),
  });
  const tls = await openServerTls(dataDir, logger, () => ({ minVersion: serverSettings(cfg).tlsMinVersion, clientCa: clientCa() }));
  const stopGauges = collectServerGauges({ certificates: () => tls.store.list(), throttledNetworks: async () => (await throttle.blocks()).length });
  const stopClusterMetrics = slot === null ? () => {} : serveClusterMetrics();
  // The outbound queue runs whenever submission is enabled, and keeps what it holds on disk.
  const queue = openOutboundQueue({ dataDir, settings: () => smtpSettings(cfg), mailboxes, logger: logger.child({ service: 'queue' }) });
  let queueRunning = false;
  // Server-sent read receipts (suppress-read-receipt false), through the queue while submission is enabled.
  const readReceiptsFor = (protocol: 'imap4' | 'pop3', suppressed: () => boolean) => createReadReceipts({
    protocol, suppressed, transport: () => (want('submission') ? queue : null), mailboxes, accounts: store,
    reportingHost: () => smtpSettings(ctx.cfg).fqdn, logger,
  });
  const imapReadReceipts = readReceiptsFor('imap4', () => imapSettings(ctx.cfg).suppressReadReceipt);
  const popReadReceipts = readReceiptsFor('pop3', () => popSettings(ctx.cfg).suppressReadReceipt);
  const ctx: Ctx = { dataDir, cfg, logger, store, mailboxes, auth, tls };
  // Scale-out: remote backends for frontends with proxy-targets, backend-bindings listeners.
  const cluster = createClusterNode({
    imap: () => imapSettings(ctx.cfg), pop: () => popSettings(ctx.cfg), server: () => serverSettings(ctx.cfg),
    imapTls: tls.provider(() => imapSettings(ctx.cfg).x509CertificateName), popTls: tls.provider(() => popSettings(ctx.cfg).x509CertificateName),
    accounts: store, maxMessageSize: () => mailboxes.limits.maxMessageSize, logger,
  });

  /**
   * A protocol log that a reload can move: write/flush/close go to the current log; reconfigure()
   * re-creates it (closing the old one) when log-file-location, log-file-roll-over-settings,
   * log-per-file-size-quota or the retention limits changed. A directory that cannot be made
   * throws at start; on reload it is reported and the current log kept.
   */
  function liveProtocolLog(protocol: 'imap4' | 'pop3' | 'smtp', settings: () => ProtocolLogSettings): ProtocolLog & { reconfigure(): Promise<void> } {
    const keyOf = (s: ProtocolLogSettings) => JSON.stringify([s.logFileLocation, protocolLogLimits(s)]);
    const open = (s: ProtocolLogSettings) => createProtocolLog({ dir: preparedProtocolLogDir(dataDir, protocol, s.logFileLocation), protocol, enabled: () => settings().protocolLogEnabled, ...protocolLogLimits(s), writer: slot, logger });
    let key = keyOf(settings());
    let current = open(settings());
    return {
      write: (row) => current.write(row),
      flush: () => current.flush(),
      close: () => current.close(),
      async reconfigure() {
        const s = settings();
        if (keyOf(s) === key) return;
        const next = open(s);
        const old = current;
        current = next;
        key = keyOf(s);
        logger.info('protocol-log-reopened', { protocol, dir: protocolLogDir(dataDir, protocol, s.logFileLocation) });
        await old.close();
      },
    };
  }

  const backends: Partial<Record<ServiceName, Backend>> = {};
  const frontends: Partial<Record<ServiceName, RunningService>> = {};
  const startedAt = new Date().toISOString();

  let lastStatus: RunStatus['services'] = {};
  const readStatus = () => lastStatus;
  function status(): void {
    const services: RunStatus['services'] = {};
    for (const name of Object.keys(cfg.services) as ServiceName[]) {
      let s: ServiceStatus = backends[name] || frontends[name] || (name === 'admin' && adminApi) ? 'Running' : 'Stopped';
      if (name === 'imap4' && frontends.imap4 && !backends['imap4-backend'] && !cluster.proxied('imap4')) s = 'Degraded';
      if (name === 'pop3' && frontends.pop3 && !backends['pop3-backend'] && !cluster.proxied('pop3')) s = 'Degraded';
      services[name] = s;
    }
    const listeners = Object.values(frontends).flatMap((f) => f!.listeners.addresses().map((a) => ({ service: a.service, kind: a.kind, address: a.address, port: a.port })));
    lastStatus = services;
    if (leadSlot) writeRunStatus(dataDir, { pid: statusPid, startedAt, services, listeners });
  }

  // `service start|stop` act on the running server without changing the startup type; a
  // change of startup type (enable/disable + reload) clears the override for that service.
  const overrides = new Map<ServiceName, boolean>();
  let appliedTypes = { ...cfg.services };
  const want = (name: ServiceName) => overrides.get(name) ?? ctx.cfg.services[name] === 'Automatic';
  let adminApi: RunningAdminApi | null = null;
  let adminKey = '';
  let adminBindingsInUse: Binding[] = [];

  async function apply(): Promise<void> {
    for (const name of Object.keys(ctx.cfg.services) as ServiceName[]) {
      if (ctx.cfg.services[name] !== appliedTypes[name]) overrides.delete(name);
    }
    appliedTypes = { ...ctx.cfg.services };
    // Backends first, so a frontend never starts without the backend it can have.
    if (want('imap4-backend') && !backends['imap4-backend']) {
      backends['imap4-backend'] = createImapBackend({ mailboxes: timedMailboxes, settings: () => imapSettings(ctx.cfg), logger: logger.child({ service: 'imap4-backend' }), protocolLog: imapLog, readReceipts: imapReadReceipts });
    } else if (!want('imap4-backend')) delete backends['imap4-backend'];
    if (want('pop3-backend') && !backends['pop3-backend']) {
      backends['pop3-backend'] = createPop3Backend({ mailboxes: timedMailboxes, locks: store, settings: () => popSettings(ctx.cfg), logger: logger.child({ service: 'pop3-backend' }), readReceipts: popReadReceipts });
    } else if (!want('pop3-backend')) delete backends['pop3-backend'];

    // Frontends: (re)start when enabled state or bindings changed; stopping one closes its
    // listeners and leaves established sessions running.
    await reconcile('imap4', want('imap4'), [imapSettings(ctx.cfg).sslBindings, imapSettings(ctx.cfg).unencryptedOrTlsBindings], () =>
      startImapFrontend({
        settings: () => imapSettings(ctx.cfg),
        tls: tls.provider(() => imapSettings(ctx.cfg).x509CertificateName),
        auth,
        backend: () => cluster.imapBackend((backends['imap4-backend'] as ReturnType<typeof createImapBackend> | undefined) ?? null),
        logger: logger.child({ service: 'imap4' }),
        protocolLog: imapLog,
        trustedProxies: () => serverSettings(ctx.cfg).trustedProxies,
      }));
    await reconcile('pop3', want('pop3'), [popSettings(ctx.cfg).sslBindings, popSettings(ctx.cfg).unencryptedOrTlsBindings], () =>
      startPop3Frontend({
        settings: () => popSettings(ctx.cfg),
        tls: tls.provider(() => popSettings(ctx.cfg).x509CertificateName),
        auth,
        backend: () => cluster.popBackend((backends['pop3-backend'] as ReturnType<typeof createPop3Backend> | undefined) ?? null),
        logger: logger.child({ service: 'pop3' }),
        protocolLog: popLog,
        trustedProxies: () => serverSettings(ctx.cfg).trustedProxies,
      }));
    await cluster.reconcile({
      imap: (backends['imap4-backend'] as ReturnType<typeof createImapBackend> | undefined) ?? null,
      pop: (backends['pop3-backend'] as ReturnType<typeof createPop3Backend> | undefined) ?? null,
    });
    const smtp = smtpSettings(ctx.cfg);
    await reconcile('submission', want('submission'), [smtp.sslBindings, smtp.unencryptedOrTlsBindings], () =>
      startSubmission({
        settings: () => smtpSettings(ctx.cfg),
        tls: tls.provider(() => smtpSettings(ctx.cfg).tlsCertificateName),
        auth,
        mailboxes,
        queue,
        accounts: store,
        logger: logger.child({ service: 'submission' }),
        protocolLog: smtpLog,
        trustedProxies: () => serverSettings(ctx.cfg).trustedProxies,
      }));
    if (want('submission') && !queueRunning && leadSlot) {
      queue.start();
      queueRunning = true;
    } else if (!want('submission') && queueRunning) {
      await queue.stop();
      queueRunning = false;
    }
    await reconcile('lmtp', want('lmtp'), [lmtpSettings(ctx.cfg).bindings], () =>
      startLmtp({ settings: () => lmtpSettings(ctx.cfg), mailboxes, store, logger: logger.child({ service: 'lmtp' }), fqdn: smtpSettings(ctx.cfg).fqdn }));
    const adminBindings = adminSettings(ctx.cfg).bindings;
    const key = want('admin') ? JSON.stringify(adminBindings) : '';
    try {
      await reconcileAdmin(key, adminBindings);
    } catch (err) {
      if (!failures) throw err;
      const detail = (err as Error).message;
      logger.error('rebind-failed', { service: 'admin', detail });
      failures.push(adminApi ? `${detail} (the previous listeners of admin stay)` : detail);
    }
    status();
  }

  /** The admin API, rebound like a frontend: new listeners first, the old ones closed after. */
  async function reconcileAdmin(key: string, bindings: Binding[]): Promise<void> {
    if (key === adminKey && (adminApi !== null) === (key !== '')) return;
    const start = (b: Binding[]) => startAdminApi({ control, tls: tls.provider(() => adminSettings(ctx.cfg).x509CertificateName, { clientCertificates: false }), bindings: b, logger: logger.child({ service: 'admin' }) });
    const old = adminApi;
    const oldBindings = adminBindingsInUse;
    if (!key) {
      if (old) {
        await old.stop();
        logger.info('service-stopped', { service: 'admin' });
      }
      adminApi = null;
      adminKey = '';
      return;
    }
    let next: RunningAdminApi;
    let oldStopped = false;
    try {
      next = await start(bindings);
    } catch (err) {
      if (!old || !bindings.some((b) => b.port !== 0 && old.addresses().some((a) => a.port === b.port))) throw err;
      await old.stop();
      oldStopped = true;
      adminApi = null;
      try {
        next = await start(bindings);
      } catch (err2) {
        adminApi = await start(oldBindings);
        throw err2;
      }
    }
    if (old && !oldStopped) await old.stop();
    adminApi = next;
    adminKey = key;
    adminBindingsInUse = bindings;
    for (const a of next.addresses()) process.stdout.write(`admin listening on ${a.address}:${a.port} (${a.tls ? 'HTTPS' : 'HTTP'})\n`);
  }

  const frontendKeys: Partial<Record<ServiceName, string>> = {};
  /** The config each running frontend was bound from (to bind its old listeners again after a failed move). */
  const frontendCfgs: Partial<Record<ServiceName, ConfigFile>> = {};
  /** Frontends whose listeners were closed by a rebind: their sessions run on until stop(). */
  const retired: RunningService[] = [];
  /** During a reload: listener problems, reported once every service has been reconciled. */
  let failures: string[] | null = null;

  function announce(name: ServiceName, service: RunningService): void {
    for (const a of service.listeners.addresses()) {
      const how = name === 'lmtp' ? 'LMTP' : a.kind === 'implicit' ? 'implicit TLS' : 'STARTTLS';
      process.stdout.write(`${name} listening on ${a.address}:${a.port} (${how})\n`);
    }
  }

  /** Runs start() as if `old` were the config: start functions read their bindings synchronously, at once. */
  function startAs(old: ConfigFile, start: () => Promise<RunningService>): Promise<RunningService> {
    const current = ctx.cfg;
    ctx.cfg = old;
    try {
      return start();
    } finally {
      ctx.cfg = current;
    }
  }

  /**
   * Starts, stops or rebinds one frontend. A rebind binds the new listeners before closing the
   * old ones, so a port that cannot be bound (busy) leaves the old listeners serving. Only when a
   * new binding uses a port the old listeners hold are those closed first; if the new ones then
   * fail, the old bindings are bound again. Sessions on old listeners continue either way.
   */
  async function reconcile(name: ServiceName, enabled: boolean, bindings: ReadonlyArray<ReadonlyArray<Binding | object>>, start: () => Promise<RunningService>): Promise<void> {
    try {
      await reconcileOrThrow(name, enabled, bindings, start);
    } catch (err) {
      if (!failures) throw err;
      const detail = (err as Error).message;
      logger.error('rebind-failed', { service: name, detail });
      failures.push(frontends[name] ? `${detail} (the previous listeners of ${name} stay)` : detail);
    }
  }

  async function reconcileOrThrow(name: ServiceName, enabled: boolean, bindings: ReadonlyArray<ReadonlyArray<Binding | object>>, start: () => Promise<RunningService>): Promise<void> {
    const key = JSON.stringify(bindings);
    const running = frontends[name];
    if (running && !enabled) {
      await running.listeners.close();
      retired.push(running);
      delete frontends[name];
      logger.info('service-stopped', { service: name });
      return;
    }
    if (!enabled || (running && frontendKeys[name] === key)) return;
    if (!running) {
      const started = await start();
      frontends[name] = started;
      frontendKeys[name] = key;
      frontendCfgs[name] = ctx.cfg;
      announce(name, started);
      return;
    }
    let next: RunningService;
    let oldClosed = false;
    try {
      next = await start();
    } catch (err) {
      const held = new Set(running.listeners.addresses().map((a) => a.port));
      if (!bindings.flat().some((b) => 'port' in b && b.port !== 0 && held.has(b.port))) throw err;
      await running.listeners.close();
      oldClosed = true;
      try {
        next = await start();
      } catch (err2) {
        retired.push(running);
        delete frontends[name];
        frontends[name] = await startAs(frontendCfgs[name]!, start);
        announce(name, frontends[name]!);
        throw err2;
      }
    }
    if (!oldClosed) await running.listeners.close();
    retired.push(running);
    frontends[name] = next;
    frontendKeys[name] = key;
    frontendCfgs[name] = ctx.cfg;
    logger.info('service-rebound', { service: name, listeners: next.listeners.addresses().map((a) => `${a.address}:${a.port}`) });
    announce(name, next);
  }

  /** Reloads and service actions run one at a time (a SIGHUP during an API reload waits for it). */
  let serialTail: Promise<unknown> = Promise.resolve();
  function serial<T>(work: () => Promise<T>): Promise<T> {
    const run = serialTail.then(work, work);
    serialTail = run.catch(() => {});
    return run;
  }

  const control: ServerControl = {
    dataDir,
    store,
    services: () => {
      const st = readStatus();
      return (Object.keys(ctx.cfg.services) as ServiceName[]).map((name) => ({ name, startupType: ctx.cfg.services[name], status: st[name] ?? 'Stopped' }));
    },
    startService: (name) => serial(async () => { overrides.set(name, true); await apply(); }),
    stopService: (name) => serial(async () => { overrides.set(name, false); await apply(); }),
    restartService: (name) => serial(async () => {
      overrides.set(name, false);
      await apply();
      overrides.set(name, true);
      await apply();
    }),
    // In a worker of `serve --workers N`, a reload is the primary's SIGHUP, so every worker reloads.
    reload: async () => { if (slot !== null) process.kill(process.ppid, 'SIGHUP'); else await server.reload(); },
  };
  await apply();
  // The CLI reaches the running server through a unix socket in the data dir (0600), whether
  // or not the admin API is enabled.
  // With `serve --workers N` only slot 0 opens it (one socket, one token per data dir).
  const controlSocket = leadSlot ? await startControlSocket({ control, logger: logger.child({ service: 'control' }) }) : null;
  // Ports are bound: now give up root if the operator asked for it.
  if (runAs) process.stdout.write(`${dropPrivileges(runAs)}\n`);
  const enabled = Object.entries(cfg.services).filter(([, t]) => t === 'Automatic').map(([n]) => n);
  if (!enabled.length) process.stdout.write('No service is enabled (portcullis service enable NAME); waiting for SIGHUP.\n');
  for (const warning of tls.warnings()) process.stdout.write(`warning: ${warning}\n`);
  if (want('submission')) {
    // The EHLO name should be one the submission certificate carries (RFC 8314 clients verify it).
    const smtp = smtpSettings(cfg);
    const cert = tls.store.select(smtp.tlsCertificateName) ?? tls.store.get(smtp.tlsCertificateName) ?? tls.store.select('');
    if (cert && !cert.info.sans.some((n) => hostMatches(n, smtp.fqdn))) {
      process.stdout.write(`warning: submission fqdn ${smtp.fqdn} is not named by its certificate "${cert.info.name}" (${cert.info.sans.join(', ')})\n`);
    }
  }
  process.stdout.write('ready\n');

  const server: Server = {
    /** Re-reads the config and applies it; throws ReloadError when the file is refused or a listener cannot be bound. */
    reload: () => serial(async () => {
      try {
        cfg = loadConfig(dataDir);
      } catch (err) {
        logger.error('reload-refused', { detail: (err as Error).message });
        throw new ReloadError(`the config was not applied: ${(err as Error).message}`);
      }
      ctx.cfg = cfg;
      try {
        applyPasswordSettings(authSettings(cfg));
      } catch (err) {
        logger.error('auth-settings-refused', { detail: (err as Error).message });
      }
      await tls.reload();
      const problems: string[] = [];
      failures = problems;
      try {
        for (const log of [imapLog, popLog, smtpLog]) {
          try {
            await log.reconfigure();
          } catch (err) {
            logger.error('protocol-log-not-moved', { detail: (err as Error).message });
            problems.push(`${(err as Error).message} (the protocol log stays where it was)`);
          }
        }
        await apply();
      } finally {
        failures = null;
      }
      if (problems.length) throw new ReloadError(problems.join('; '));
      logger.info('reloaded', {});
      process.stdout.write('reloaded\n');
    }),
    async stop() {
      await controlSocket?.stop();
      if (adminApi) await adminApi.stop();
      await Promise.all([...Object.values(frontends), ...retired].map((f) => f!.stop()));
      await cluster.stop();
      // Authenticated IMAP sessions end after their current command (POP3 sessions belong to
      // their frontend, which has just ended them without applying deletions).
      const imapBackend = backends['imap4-backend'] as ReturnType<typeof createImapBackend> | undefined;
      if (imapBackend) await imapBackend.stop();
      await Promise.all([imapReadReceipts.idle(), popReadReceipts.idle()]);
      if (queueRunning) await queue.stop();
      if (leadSlot) clearRunStatus(dataDir);
      await securityLog.close();
      await Promise.all([imapLog.close(), popLog.close(), smtpLog.close()]);
      stopGauges();
      stopClusterMetrics();
      await store.close();
    },
  };
  return server;
}
