/**
 * `portcullis` — the operator CLI. Global option: --data-dir DIR (else PORTCULLIS_DATA_DIR,
 * else ./data). Each command group lives in its own file. Bad input: one line on stderr
 * naming the parameter and what is allowed, exit code 2, nothing changed.
 */
import { resolve } from 'node:path';
import { CliError, readAllStdin, reportCliError, type CliContext } from './errors.js';

type Handler = (ctx: CliContext) => Promise<number | void>;

const USAGE = `usage: portcullis [--data-dir DIR] COMMAND ...
commands:
  init --hostname HOST               create a data dir (secure defaults, self-signed test certificate, all services disabled)
  serve                              run the enabled services in the foreground (SIGTERM stops gracefully, SIGHUP reloads settings)
  service list|enable NAME|disable NAME      startup type (Automatic/Disabled)
  service start|stop|restart NAME            act on the running server (startup type unchanged)
  admin get|set                              where the admin API and web console listen
  admin token add NAME --scope read-only|read-write [--expires-in-days N] | admin token list [--json] | admin token remove NAME
  config check [--json]                      validate the config file
  imap get [--json] | imap set --PARAM VALUE ...
  pop get [--json]  | pop set --PARAM VALUE ...
  smtp get|set, lmtp get|set         submission and LMTP settings
  server get|set                     process-wide settings (tls-min-version, run-as-user)
  queue list [--json] | queue retry ID | queue remove ID
  user add ADDRESS --password-stdin|--hash-stdin | user passwd ADDRESS --password-stdin|--hash-stdin
  user list [--json] | user remove ADDRESS
  user import-passwd FILE [--domain D] [--skip-bad]   accounts and hashes from a Dovecot passwd-file
  user set ADDRESS [--backend HOST[:PORT]] [--imap-enabled true|false] [--pop-enabled true|false] [--quota BYTES|unlimited]
                                             backend pin ('' removes it), IMAP/POP3 access, quota
  user app-password add ADDRESS --name N --protocols imap4,pop3,smtp | list ADDRESS [--json] | remove ADDRESS NAME
  auth get|set                       master users, throttling, bearer-token issuers
  auth blocks list [ADDRESS] [--json] | auth blocks clear [ADDRESS]
  directory get|set                  local or LDAP / Active Directory accounts
  cert list [--json] | cert new-self-signed --hostname HOST | cert import ... | cert remove NAME
  deliver --to ADDRESS [--mailbox NAME] < message
  logs insecure-logins|failed-logins [--protocol imap4|pop3|smtp] [--since T] [--json]
  analyze [--json]                   check the configuration; exit 0 when nothing is at warning or worse
  test imap|pop [--connection-type Plaintext|Tls|Ssl] [--light-mode] [--trust-any-certificate] [--server HOST:PORT] [--json]
                                     connectivity self-test as a test account: log in, deliver, retrieve, delete`;

const GROUPS: Record<string, () => Promise<Record<string, Handler> | Handler>> = {
  init: async () => (await import('./init.js')).initCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  service: async () => ({ ...(await import('./service.js')).serviceCommands, ...(await import('./service-control.js')).serviceControlCommands }),
  admin: async () => ({ ...(await import('./settings.js')).settingsCommands('admin'), ...(await import('./admin-token.js')).adminCommands }),
  config: async () => (await import('./config-check.js')).configCommands,
  imap: async () => (await import('./settings.js')).settingsCommands('imap'),
  pop: async () => (await import('./settings.js')).settingsCommands('pop'),
  smtp: async () => (await import('./settings.js')).settingsCommands('smtp'),
  lmtp: async () => (await import('./settings.js')).settingsCommands('lmtp'),
  server: async () => (await import('./settings.js')).settingsCommands('server'),
  queue: async () => (await import('./queue.js')).queueCommands,
  user: async () => ({ ...(await import('./user.js')).userCommands, 'app-password': (await import('./app-password.js')).appPasswordCommand }),
  auth: async () => ({ ...(await import('./settings.js')).settingsCommands('auth'), ...(await import('./auth.js')).authCommands }),
  directory: async () => (await import('./settings.js')).settingsCommands('directory'),
  cert: async () => (await import('./cert.js')).certCommands,
  deliver: async () => (await import('./deliver.js')).deliverCommand,
  logs: async () => (await import('./logs.js')).logsCommands,
  analyze: async () => (await import('./analyze.js')).analyzeCommand,
  test: async () => (await import('./test-connectivity.js')).testCommands,
};

export async function runCli(argv: string[]): Promise<number> {
  const args = [...argv];
  let dataDir = process.env.PORTCULLIS_DATA_DIR || './data';
  // Global options come before the command.
  while (args.length && args[0].startsWith('--')) {
    const flag = args.shift()!;
    if (flag === '--data-dir') {
      const v = args.shift();
      if (!v) throw new CliError('--data-dir: missing value (allowed: a directory path)');
      dataDir = v;
    } else if (flag.startsWith('--data-dir=')) {
      dataDir = flag.slice('--data-dir='.length);
    } else if (flag === '--help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    } else {
      throw new CliError(`unknown option ${flag} (allowed before the command: --data-dir DIR, --help)`);
    }
  }
  const group = args.shift();
  if (!group || group === 'help') {
    process.stdout.write(USAGE + '\n');
    return group ? 0 : 2;
  }
  const load = GROUPS[group];
  if (!load) throw new CliError(`unknown command "${group}" (allowed: ${Object.keys(GROUPS).join(', ')})`);
  const entry = await load();
  const ctx: CliContext = {
    dataDir: resolve(dataDir),
    args,
    stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
    readStdin: readAllStdin,
  };
  if (typeof entry === 'function') return (await entry(ctx)) ?? 0;
  const verb = args.shift();
  const handler = verb ? entry[verb] : undefined;
  if (!handler) {
    throw new CliError(`${group}: ${verb ? `unknown subcommand "${verb}"` : 'missing subcommand'} (allowed: ${Object.keys(entry).join(', ')})`);
  }
  return (await handler(ctx)) ?? 0;
}

function fail(err: unknown): number {
  return reportCliError(err, (line) => process.stderr.write(line));
}

// Everything the CLI and the server create in the data dir is private to the service user.
process.umask(0o077);

runCli(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.exitCode = fail(err); },
);
