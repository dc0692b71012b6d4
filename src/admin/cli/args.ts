/**
 * Argument parsing on Node's own util.parseArgs, strict: an unknown flag or a missing value is
 * a CliError naming the flag and what is allowed.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(args: string[], options: Options, usage: string, maxPositionals = 0): Parsed {
  let out: Parsed;
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals: true });
    out = { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional.*$/s, '').replace(/\s+/g, ' ');
    throw new CliError(`${msg} (usage: ${usage})`);
  }
  if (out.positionals.length > maxPositionals) {
    throw new CliError(`unexpected argument "${out.positionals[maxPositionals]}" (usage: ${usage})`);
  }
  return out;
}
