/** The registry of post-login commands, by name. */
import type { CommandDescriptor } from './types.js';
import * as basic from './basic.js';
import * as sel from './select.js';
import * as mb from './mailboxes.js';
import { list, lsub } from './list.js';
import { status } from './status.js';
import { append } from './append.js';
import { store } from './store.js';
import { copy, move } from './copy-move.js';
import { expunge } from './expunge.js';
import { search } from './search.js';
import { fetch } from './fetch.js';

const ALL: CommandDescriptor[] = [
  basic.capability, basic.noop, basic.check, basic.logout, basic.id, basic.enable, basic.namespace, basic.idle,
  basic.loginAfterAuth, basic.authenticateAfterAuth, basic.starttlsAfterAuth,
  sel.select, sel.examine, sel.close, sel.unselect,
  mb.create, mb.del, mb.rename, mb.subscribe, mb.unsubscribe,
  list, lsub, status, append, store, copy, move, expunge, search, fetch,
];

export const COMMANDS: ReadonlyMap<string, CommandDescriptor> = new Map(ALL.map((c) => [c.name, c]));

/** Capabilities of an authenticated session. */
export function postLoginCapabilities(maxMessageSize: number): string[] {
  return [
    'IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'UNSELECT',
    'CHILDREN', 'SPECIAL-USE', 'LIST-EXTENDED', 'LIST-STATUS', 'ESEARCH', 'CONDSTORE', 'QRESYNC',
    `APPENDLIMIT=${maxMessageSize}`, 'STATUS=SIZE',
  ];
}
