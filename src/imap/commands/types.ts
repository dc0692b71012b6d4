/** The shape of one IMAP command handler: the state gate reads `states` before `run` is called. */
import type { Args } from '../protocol/args.js';
import type { ImapSession } from '../session.js';

export type SessionState = 'authenticated' | 'selected';

export interface CommandResult {
  status: 'OK' | 'NO' | 'BAD';
  /** Response code without brackets, e.g. "READ-WRITE" or "APPENDUID 1 5". */
  code?: string;
  text: string;
}

export interface CommandContext {
  tag: string;
  /** The command was given with the UID prefix. */
  uid: boolean;
  args: Args;
  session: ImapSession;
}

export interface CommandDescriptor {
  name: string;
  states: readonly SessionState[];
  /** Accepts the UID prefix (FETCH, STORE, COPY, MOVE, SEARCH, EXPUNGE). */
  uidForm?: boolean;
  /** EXPUNGE responses must not be sent during this command (RFC 3501 §7.4.1); UID forms are exempt. */
  holdsExpunges?: boolean;
  run(ctx: CommandContext): Promise<CommandResult>;
}

export function ok(text: string, code?: string): CommandResult {
  return { status: 'OK', text, code };
}
export function no(text: string, code?: string): CommandResult {
  return { status: 'NO', text, code };
}
export function bad(text: string, code?: string): CommandResult {
  return { status: 'BAD', text, code };
}
