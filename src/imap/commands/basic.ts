/** CAPABILITY, NOOP, CHECK, LOGOUT, ID, ENABLE, NAMESPACE, IDLE, and the pre-auth commands after login. */
import { ImapSyntaxError } from '../protocol/tokenizer.js';
import { quote } from '../protocol/encoder.js';
import { bad, ok, type CommandDescriptor } from './types.js';

const ANY = ['authenticated', 'selected'] as const;

export const SERVER_ID: ReadonlyArray<[string, string]> = [['name', 'Portcullis'], ['vendor', 'Portcullis'], ['support-url', 'https://example.invalid/portcullis']];

export function idResponse(): string {
  return 'ID (' + SERVER_ID.map(([k, v]) => `${quote(k)} ${quote(v)}`).join(' ') + ')';
}

export const capability: CommandDescriptor = {
  name: 'CAPABILITY', states: ANY,
  async run({ args, session }) {
    args.end();
    session.untagged('CAPABILITY ' + session.capabilities().join(' '));
    return ok('Capability completed');
  },
};

export const noop: CommandDescriptor = {
  name: 'NOOP', states: ANY,
  async run({ args, session }) {
    args.end();
    session.markDirty();
    return ok('NOOP completed');
  },
};

export const check: CommandDescriptor = {
  name: 'CHECK', states: ['selected'],
  async run({ args, session }) {
    args.end();
    session.markDirty();
    return ok('CHECK completed');
  },
};

export const logout: CommandDescriptor = {
  name: 'LOGOUT', states: ANY,
  async run({ tag, args, session }) {
    args.end();
    session.logout(tag);
    return ok('Logout completed');
  },
};

/** ID (RFC 2971): the client's parameters are validated and ignored. */
export const id: CommandDescriptor = {
  name: 'ID', states: ANY,
  async run({ args, session }) {
    const t = args.next('a parameter list or NIL');
    if (t.type === 'list') {
      if (t.items.length % 2 !== 0 || t.items.length > 60) throw new ImapSyntaxError('ID needs field/value pairs (at most 30)');
    } else if (!(t.type === 'atom' && t.value.toUpperCase() === 'NIL')) {
      throw new ImapSyntaxError('ID needs a parameter list or NIL');
    }
    args.end();
    session.untagged(idResponse());
    return ok('ID completed');
  },
};

export const enable: CommandDescriptor = {
  name: 'ENABLE', states: ANY,
  async run({ args, session }) {
    if (!args.remaining) throw new ImapSyntaxError('ENABLE needs at least one capability');
    const enabled: string[] = [];
    for (const t of args.rest()) {
      if (t.type !== 'atom') throw new ImapSyntaxError('ENABLE takes capability names');
      const c = t.value.toUpperCase();
      if (c === 'CONDSTORE' && !session.condstore) {
        session.condstore = true;
        enabled.push('CONDSTORE');
      } else if (c === 'QRESYNC' && !session.qresync) {
        session.qresync = true;
        if (!session.condstore) enabled.push('CONDSTORE');
        session.condstore = true;
        enabled.push('QRESYNC');
      }
    }
    session.untagged('ENABLED' + (enabled.length ? ' ' + enabled.join(' ') : ''));
    return ok('ENABLE completed');
  },
};

export const namespace: CommandDescriptor = {
  name: 'NAMESPACE', states: ANY,
  async run({ args, session }) {
    args.end();
    session.untagged('NAMESPACE (("" "/")) NIL NIL');
    return ok('NAMESPACE completed');
  },
};

export const idle: CommandDescriptor = {
  name: 'IDLE', states: ANY,
  // Not async: an idle session waits in session.idle() alone, one suspended frame fewer to keep.
  run({ args, session }) {
    args.end();
    return session.idle();
  },
};

function alreadyAuthenticated(name: string): CommandDescriptor {
  return { name, states: ANY, async run() { return bad('Already authenticated'); } };
}

export const loginAfterAuth = alreadyAuthenticated('LOGIN');
export const authenticateAfterAuth = alreadyAuthenticated('AUTHENTICATE');
export const starttlsAfterAuth = alreadyAuthenticated('STARTTLS');
