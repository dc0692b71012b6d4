/**
 * Structured logging: one JSON event per line. Every session logs through a child logger that
 * carries its session id. Fields named like secrets are masked by the logger itself, so a
 * mistake elsewhere cannot write a password or a SASL blob to disk.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEYS = /pass(word)?|secret|sasl|token|credential|authorization/i;

export type LogFields = Record<string, unknown>;
export type LogSink = (line: string) => void;

export class Logger {
  constructor(
    private readonly sink: LogSink = (line) => process.stderr.write(line + '\n'),
    private readonly minLevel: LogLevel = (process.env.PORTCULLIS_LOG_LEVEL as LogLevel) || 'info',
    private readonly base: LogFields = {},
  ) {}

  child(fields: LogFields): Logger {
    return new Logger(this.sink, this.minLevel, { ...this.base, ...fields });
  }

  log(level: LogLevel, event: string, fields: LogFields = {}): void {
    if (LEVELS[level] < (LEVELS[this.minLevel] ?? 20)) return;
    const record: LogFields = { time: new Date().toISOString(), level, event, ...this.base };
    for (const [k, v] of Object.entries(fields)) record[k] = SECRET_KEYS.test(k) ? '***' : v;
    if (fields.err instanceof Error) record.err = { message: fields.err.message, stack: fields.err.stack };
    this.sink(JSON.stringify(record));
  }
  debug(event: string, fields?: LogFields): void { this.log('debug', event, fields); }
  info(event: string, fields?: LogFields): void { this.log('info', event, fields); }
  warn(event: string, fields?: LogFields): void { this.log('warn', event, fields); }
  error(event: string, fields?: LogFields): void { this.log('error', event, fields); }
}

/** A logger that drops everything: for unit tests. */
export const silentLogger = new Logger(() => {}, 'error');
