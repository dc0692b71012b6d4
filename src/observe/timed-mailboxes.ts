/**
 * Store-operation latency: wraps a MailboxService so that every promise-returning call (on the
 * service and on each UserMailboxes it hands out) is timed into
 * portcullis_store_operation_duration_seconds{operation,result}. Calls that return something
 * else (watch, streamBlob, fetchRecords' async iterable) pass through untimed.
 */
import { performance } from 'node:perf_hooks';
import type { MailboxService, UserMailboxes } from '../mailbox/types.js';
import { storeDuration } from './metrics.js';

function isPromise(v: unknown): v is Promise<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function timed<T extends object>(target: T, wrapResult: (name: string, value: unknown) => unknown = (_n, v) => v): T {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      let wrapped = cache.get(prop);
      if (!wrapped) {
        const fn = value as (...args: unknown[]) => unknown;
        wrapped = function (this: unknown, ...args: unknown[]): unknown {
          const started = performance.now();
          const out = wrapResult(prop, fn.apply(obj, args));
          if (!isPromise(out)) return out;
          const record = (result: string): void => storeDuration.observe({ operation: prop, result }, (performance.now() - started) / 1000);
          out.then(() => record('ok'), () => record('error'));
          return out;
        };
        cache.set(prop, wrapped);
      }
      return wrapped;
    },
  });
}

/** The same service, with store-operation latency recorded. */
export function timedMailboxService(service: MailboxService): MailboxService {
  return timed(service, (name, value) => (name === 'forAccount' ? timed(value as UserMailboxes) : value));
}
