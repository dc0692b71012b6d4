/**
 * The in-process change feed: events published by one process reach the subscribers in that
 * process. Events are hints (a listener resyncs with changesSince), so a listener that throws
 * is isolated and never disturbs the publisher or other listeners.
 */
import type { ChangeEvent, ChangeFeed } from './store.js';

export class LocalChangeFeed implements ChangeFeed {
  private readonly listeners = new Map<number, Set<(event: ChangeEvent) => void>>();

  subscribe(accountId: number, listener: (event: ChangeEvent) => void): () => void {
    let set = this.listeners.get(accountId);
    if (!set) {
      set = new Set();
      this.listeners.set(accountId, set);
    }
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry = (event: ChangeEvent): void => listener(event);
    set.add(entry);
    return () => {
      const s = this.listeners.get(accountId);
      if (!s) return;
      s.delete(entry);
      if (s.size === 0) this.listeners.delete(accountId);
    };
  }

  publish(event: ChangeEvent): void {
    const set = this.listeners.get(event.accountId);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(event);
      } catch {
        // a broken listener must not break the writer that published
      }
    }
  }

  /** Accounts that have at least one subscriber. */
  accounts(): number[] {
    return [...this.listeners.keys()];
  }

  /** Number of live subscriptions (for tests and metrics). */
  size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
