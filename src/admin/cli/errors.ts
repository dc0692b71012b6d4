import { ConfigError } from '../../config/config.js';
import { isMailError } from '../../core/errors.js';

/** An operator error: printed as one line, exit code 2, nothing changed on disk. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'CliError';
  }
}

export interface CliContext {
  dataDir: string;
  /** Remaining arguments after the command group and verb. */
  args: string[];
  stdout: (text: string) => void;
  /** Reads all of standard input. */
  readStdin: () => Promise<Buffer>;
}

export async function readAllStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes one line for a failed command (stderr in the CLI) and returns its exit code. */
export function reportCliError(err: unknown, write: (line: string) => void): number {
  if (err instanceof CliError) {
    write(`portcullis: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    write(`portcullis: ${err.message}\n`);
    return 2;
  }
  if (isMailError(err)) {
    write(`portcullis: ${err.message}\n`);
    return err.code === 'UNAVAILABLE' ? 75 : 1;
  }
  write(`portcullis: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}
