/**
 * The server's metrics: one process-wide registry and the instruments the protocol sessions,
 * the security log and main.ts feed. The admin API serves `renderOpenMetrics()` at GET /metrics
 * with the content type OPENMETRICS_CONTENT_TYPE.
 *
 * Families (OpenMetrics names; counters get `_total` on their samples):
 * - portcullis_connections_open{protocol,tls}      gauge: connections open now (tls: none|starttls|implicit)
 * - portcullis_connections{protocol,tls}           counter: connections accepted
 * - portcullis_logins{protocol,result,secure}      counter: login attempts (result: success|failure)
 * - portcullis_login_failures{protocol,reason}     counter: failed logins by reason (credentials, policy, throttled, ...)
 * - portcullis_commands{protocol,command}          counter: commands answered
 * - portcullis_command_duration_seconds{protocol,command}  histogram
 * - portcullis_sent_bytes{protocol}                counter: bytes written to clients
 * - portcullis_store_operation_duration_seconds{operation,result}  histogram
 * - portcullis_certificate_expiry_days{name}       gauge: days until notAfter (negative: expired)
 * - portcullis_throttled_addresses                 gauge: client networks blocked by failure throttling
 */
import { MetricsRegistry, OPENMETRICS_CONTENT_TYPE } from './metrics-registry.js';
import { clusterMetrics } from './metrics-cluster.js';

export { MetricsRegistry, OPENMETRICS_CONTENT_TYPE } from './metrics-registry.js';
export type { Counter, Gauge, Histogram, Labels } from './metrics-registry.js';

/** The process-wide registry. */
export const metrics = new MetricsRegistry();

export const connectionsOpen = metrics.gauge('portcullis_connections_open', 'Client connections open now, by protocol and TLS state.', ['protocol', 'tls']);
export const connectionsAccepted = metrics.counter('portcullis_connections', 'Client connections accepted, by protocol and TLS state at connect.', ['protocol', 'tls']);
export const logins = metrics.counter('portcullis_logins', 'Login attempts by protocol, result and whether the connection was encrypted.', ['protocol', 'result', 'secure']);
export const loginFailures = metrics.counter('portcullis_login_failures', 'Failed logins by protocol and reason.', ['protocol', 'reason']);
export const commands = metrics.counter('portcullis_commands', 'Commands answered, by protocol and command name.', ['protocol', 'command']);
export const commandDuration = metrics.histogram('portcullis_command_duration_seconds', 'Time from reading a command to writing its final reply.', ['protocol', 'command']);
export const bytesSent = metrics.counter('portcullis_sent_bytes', 'Bytes written to clients, by protocol.', ['protocol']);
export const storeDuration = metrics.histogram('portcullis_store_operation_duration_seconds', 'Latency of mailbox-layer operations, by operation and result.', ['operation', 'result']);
export const certificateExpiryDays = metrics.gauge('portcullis_certificate_expiry_days', 'Days until a stored certificate expires (negative once expired).', ['name']);
export const throttledAddresses = metrics.gauge('portcullis_throttled_addresses', 'Client networks currently blocked by login failure throttling.');

let clusterRender: (() => Promise<string>) | null = null;

/** The text GET /metrics serves: this process's registry, or under `serve --workers N` the whole server's. */
export function renderOpenMetrics(): Promise<string> {
  return clusterRender ? clusterRender() : metrics.render();
}

/**
 * In a worker of `serve --workers N`: answer the primary's snapshot requests and serve merged,
 * whole-server numbers on /metrics. Returns a function that stops both.
 */
export function serveClusterMetrics(): () => void {
  const c = clusterMetrics(metrics);
  clusterRender = () => c.render();
  return () => {
    clusterRender = null;
    c.stop();
  };
}

export const METRICS_CONTENT_TYPE = OPENMETRICS_CONTENT_TYPE;

/** Counts one login attempt (called for every event the security log records). */
export function countLogin(e: { protocol: string; result: 'success' | 'failure'; reason: string; secure: boolean }): void {
  logins.inc({ protocol: e.protocol, result: e.result, secure: e.secure ? 'true' : 'false' });
  if (e.result === 'failure') loginFailures.inc({ protocol: e.protocol, reason: e.reason || 'unknown' });
}

/**
 * Refreshes the certificate and throttling gauges before each scrape. main.ts calls this once
 * with what it has; returns a function that unregisters the collector.
 */
export function collectServerGauges(sources: {
  certificates?: () => Array<{ name: string; notAfter: Date }>;
  throttledNetworks?: () => Promise<number> | number;
  now?: () => Date;
}): () => void {
  const now = sources.now ?? (() => new Date());
  return metrics.onCollect(async () => {
    if (sources.certificates) {
      const list = sources.certificates();
      certificateExpiryDays.reset();
      for (const c of list) {
        const days = (c.notAfter.getTime() - now().getTime()) / 86_400_000;
        certificateExpiryDays.set({ name: c.name }, Math.floor(days * 100) / 100);
      }
    }
    if (sources.throttledNetworks) throttledAddresses.set({}, await sources.throttledNetworks());
  });
}

/** Protocol names used as metric labels. */
export type MetricProtocol = 'imap4' | 'pop3' | 'smtp';

const KNOWN_COMMANDS: Record<MetricProtocol, ReadonlySet<string>> = {
  imap4: new Set([
    'CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'LOGIN', 'AUTHENTICATE', 'ID', 'ENABLE', 'SELECT', 'EXAMINE', 'CREATE',
    'DELETE', 'RENAME', 'SUBSCRIBE', 'UNSUBSCRIBE', 'LIST', 'LSUB', 'STATUS', 'APPEND', 'CHECK', 'CLOSE', 'UNSELECT',
    'EXPUNGE', 'SEARCH', 'FETCH', 'STORE', 'COPY', 'MOVE', 'UID', 'IDLE', 'NAMESPACE', 'GETQUOTA', 'GETQUOTAROOT', '*SASL*',
  ]),
  pop3: new Set(['CAPA', 'QUIT', 'STLS', 'USER', 'PASS', 'AUTH', 'APOP', 'STAT', 'LIST', 'RETR', 'DELE', 'NOOP', 'RSET', 'TOP', 'UIDL', '*SASL*']),
  smtp: new Set(['EHLO', 'HELO', 'LHLO', 'STARTTLS', 'AUTH', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'NOOP', 'QUIT', 'VRFY', 'HELP', '*SASL*']),
};

/** A command name safe as a label value: a known command, else "OTHER" (bounded cardinality). */
export function commandLabel(protocol: MetricProtocol, command: string): string {
  const c = command.toUpperCase();
  return KNOWN_COMMANDS[protocol].has(c) ? c : 'OTHER';
}
