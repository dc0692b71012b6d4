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
