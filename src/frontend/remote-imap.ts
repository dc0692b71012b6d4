/**
 * An ImapBackend that is another node: serve() opens a hand-off channel to the user's backend
 * and pipes the client's stream both ways with backpressure. The backend writes the tagged OK
 * of the login (or NO [LIMIT] when the user has too many sessions there). A channel that dies
 * without the backend's end frame gets `* BYE [UNAVAILABLE]` to the client and is closed.
 */
import type { Logger } from '../core/log.js';
import type { ImapBackend, ImapHandoff } from '../imap/service.js';
import { postLoginCapabilities } from '../imap/commands/index.js';
import type { Connection } from '../net/types.js';
import { HandoffError, type FramedSocket } from './channel.js';
import { headerFor, type BackendDialer } from './dialer.js';

export const BACKEND_LOST = '* BYE [UNAVAILABLE] Backend unavailable, please reconnect\r\n';

export interface RemoteImapBackend extends ImapBackend {
  readonly dialer: BackendDialer;
}

export function createRemoteImapBackend(deps: { dialer: BackendDialer; logger: Logger; maxMessageSize: () => number }): RemoteImapBackend {
  const live = new Set<{ client: Connection; channel: FramedSocket | null }>();
  return {
    dialer: deps.dialer,
    capabilities: () => postLoginCapabilities(deps.maxMessageSize()),
    sessionCount: () => live.size,
    serve(h: ImapHandoff): void {
      const client = h.connection;
      const log = deps.logger.child({ session: client.sessionId, user: h.account.address });
      h.observer?.setUser(h.account.address);
      h.observer?.setAuthMech(h.mechanism);
      const early: Buffer[] = [];
      const entry: { client: Connection; channel: FramedSocket | null } = { client, channel: null };
      live.add(entry);
      client.onData((chunk) => early.push(chunk));
      let clientGone = false;
      client.onClose(() => {
        clientGone = true;
        live.delete(entry);
        entry.channel?.end();
      });
      client.pause();
      // The backend's session enforces the authenticated idle timeout (its BYE comes through the
      // channel); the login phase's pre-auth timeout must not cut an idle IDLE here.
      client.setIdleTimeout(0, () => {});
      const header = { ...headerFor('imap4', client, h.account.address, h.mechanism), tag: h.tag, leftover: h.leftover.toString('base64') };
      void deps.dialer.dial(header, h.account.backend).then(({ channel, target }) => {
        entry.channel = channel;
        if (clientGone) return channel.end();
        log.info('imap-proxied', { target: `${target.host}:${target.port}` });
        let ended = false;
        channel.onFrame((f) => {
          if (f.type === 'D') {
            client.write(f.payload);
            channel.socket.pause();
            void client.drained().then(() => channel.socket.resume());
          } else if (f.type === 'E') {
            ended = true;
            client.close();
          }
        });
        channel.onClose(() => {
          live.delete(entry);
          if (!ended && !client.closed) {
            log.warn('imap-backend-lost', { target: `${target.host}:${target.port}` });
            client.close(BACKEND_LOST);
          }
        });
        const forward = (chunk: Buffer): void => {
          if (!channel.sendData(chunk)) {
            client.pause();
            void channel.drained().then(() => { if (!client.closed) client.resume(); });
          }
        };
        early.splice(0).forEach(forward);
        client.onData(forward);
        client.resume();
      }, (err: unknown) => {
        live.delete(entry);
        const e = err as HandoffError;
        log.warn('imap-handoff-failed', { reason: e.message, code: e instanceof HandoffError ? e.answerCode || e.code : 'ERROR' });
        client.close(`${h.tag} NO [UNAVAILABLE] Mailbox service is temporarily unavailable, try again later\r\n* BYE Try again later\r\n`);
      });
    },
    async stop(): Promise<void> {
      for (const e of live) {
        e.channel?.destroy();
        e.client.close('* BYE Server shutting down\r\n');
      }
      live.clear();
    },
  };
}
