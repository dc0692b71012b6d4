/**
 * The few Reflect metadata functions @peculiar/x509 (through tsyringe) needs, without adding a
 * package: import this module before '@peculiar/x509'. Defines nothing if a polyfill exists.
 */
type Key = unknown;
const store = new WeakMap<object, Map<string | symbol | undefined, Map<Key, unknown>>>();

function table(target: object, prop: string | symbol | undefined, create: boolean): Map<Key, unknown> | undefined {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let t = byProp.get(prop);
  if (!t && create) {
    t = new Map();
    byProp.set(prop, t);
  }
  return t;
}

interface ReflectMetadataApi {
  defineMetadata(key: Key, value: unknown, target: object, prop?: string | symbol): void;
  getOwnMetadata(key: Key, target: object, prop?: string | symbol): unknown;
  getMetadata(key: Key, target: object, prop?: string | symbol): unknown;
}

const R = Reflect as unknown as Partial<ReflectMetadataApi>;
if (typeof R.getMetadata !== 'function') {
  R.defineMetadata = (key, value, target, prop) => { table(target, prop, true)?.set(key, value); };
  R.getOwnMetadata = (key, target, prop) => table(target, prop, false)?.get(key);
  R.getMetadata = (key, target, prop) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const m = table(t, prop, false);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
}
export {};
