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

/**
 * The real object behind each timing proxy. Wrappers are shared by every proxy of the same method
 * (one per method, not one per session: an idle IMAP session keeps its UserMailboxes proxy for
 * hours), so they find their target through `this`.
 */
const targets = new WeakMap<object, object>();
type Method = (...args: unknown[]) => unknown;

function wrapperFor(wrappers: WeakMap<Method, Method>, fn: Method, name: string, wrapResult: (name: string, value: unknown) => unknown): Method {
  let wrapped = wrappers.get(fn);
  if (!wrapped) {
    wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const self = (typeof this === 'object' && this !== null && targets.get(this)) || this;
      const started = performance.now();
      const out = wrapResult(name, fn.apply(self, args));
      if (!isPromise(out)) return out;
      const record = (result: string): void => storeDuration.observe({ operation: name, result }, (performance.now() - started) / 1000);
      out.then(() => record('ok'), () => record('error'));
      return out;
    };
    wrappers.set(fn, wrapped);
  }
  return wrapped;
}

function handler<T extends object>(wrapResult: (name: string, value: unknown) => unknown): ProxyHandler<T> {
  const wrappers = new WeakMap<Method, Method>();
  return {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return wrapperFor(wrappers, value as Method, prop, wrapResult);
    },
  };
}

const passThrough = (_n: string, v: unknown): unknown => v;
const accountHandler = handler<UserMailboxes>(passThrough);

function timed<T extends object>(target: T, h: ProxyHandler<T>): T {
  const proxy = new Proxy(target, h);
  targets.set(proxy, target);
  return proxy;
}

/** The same service, with store-operation latency recorded. */
export function timedMailboxService(service: MailboxService): MailboxService {
  return timed(service, handler<MailboxService>((name, value) => (name === 'forAccount' ? timed(value as UserMailboxes, accountHandler) : value)));
}
