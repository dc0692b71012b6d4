/**
 * A structural check of an OpenAPI 3.1 document, enough to catch what a generator gets wrong:
 * required top-level fields, path templates and their parameters, unique operation ids,
 * responses, security schemes, $refs that resolve and JSON Schema types that exist.
 * Returns the problems found (empty: valid).
 */
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'];

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkOpenApi(doc: unknown): string[] {
  const problems: string[] = [];
  const p = (msg: string): void => { problems.push(msg); };
  if (!isObj(doc)) return ['document: not an object'];
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) p('openapi: must be "3.1.x"');
  const info = doc.info;
  if (!isObj(info) || typeof info.title !== 'string' || typeof info.version !== 'string') p('info: title and version (strings) are required');
  if (!isObj(doc.paths)) return [...problems, 'paths: required object'];
  const schemes = isObj(doc.components) && isObj(doc.components.securitySchemes) ? doc.components.securitySchemes : {};

  const resolve = (ref: string): unknown => {
    if (!ref.startsWith('#/')) return undefined;
    let cur: unknown = doc;
    for (const part of ref.slice(2).split('/')) cur = isObj(cur) ? cur[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    return cur;
  };
  const schema = (s: unknown, where: string): void => {
    if (typeof s === 'boolean') return;
    if (!isObj(s)) return p(`${where}: schema must be an object`);
    if (typeof s.$ref === 'string' && resolve(s.$ref) === undefined) p(`${where}: $ref ${s.$ref} does not resolve`);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? s.type : [s.type];
      for (const t of types) if (!TYPES.includes(String(t))) p(`${where}: unknown type "${String(t)}"`);
    }
    if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.length === 0)) p(`${where}: enum must be a non-empty array`);
    if (s.required !== undefined && (!Array.isArray(s.required) || s.required.some((r) => typeof r !== 'string'))) p(`${where}: required must list property names`);
    if (isObj(s.properties)) {
      for (const [k, v] of Object.entries(s.properties)) schema(v, `${where}.properties.${k}`);
      for (const r of (s.required as string[] | undefined) ?? []) if (!(r in s.properties)) p(`${where}: required "${r}" is not a property`);
    }
    if (s.items !== undefined) schema(s.items, `${where}.items`);
    if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean') schema(s.additionalProperties, `${where}.additionalProperties`);
    for (const k of ['oneOf', 'anyOf', 'allOf']) if (Array.isArray(s[k])) (s[k] as unknown[]).forEach((x, i) => schema(x, `${where}.${k}[${i}]`));
  };

  const ids = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) p(`paths: "${path}" must start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    if (!isObj(item)) { p(`${path}: not an object`); continue; }
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.includes(method)) { p(`${where}: unknown method`); continue; }
      if (!isObj(op)) { p(`${where}: not an object`); continue; }
      if (typeof op.operationId === 'string') {
        if (ids.has(op.operationId)) p(`${where}: duplicate operationId ${op.operationId}`);
        ids.add(op.operationId);
      }
      const params = (op.parameters ?? []) as unknown[];
      if (!Array.isArray(params)) p(`${where}: parameters must be an array`);
      const inPath = new Set<string>();
      for (const prm of params) {
        if (!isObj(prm) || typeof prm.name !== 'string' || !['path', 'query', 'header', 'cookie'].includes(String(prm.in))) { p(`${where}: parameter needs name and in`); continue; }
        if (prm.in === 'path') {
          inPath.add(prm.name);
          if (prm.required !== true) p(`${where}: path parameter ${prm.name} must be required`);
          if (!templated.includes(prm.name)) p(`${where}: path parameter ${prm.name} is not in the path`);
        }
        if (prm.schema === undefined) p(`${where}: parameter ${prm.name} needs a schema`);
        else schema(prm.schema, `${where} parameter ${prm.name}`);
      }
      for (const name of templated) if (!inPath.has(name)) p(`${where}: {${name}} has no path parameter`);
      if (!isObj(op.responses) || !Object.keys(op.responses).length) { p(`${where}: responses required`); continue; }
      for (const [code, r] of Object.entries(op.responses)) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) p(`${where}: response code ${code} invalid`);
        if (!isObj(r) || typeof r.description !== 'string') { p(`${where} ${code}: description required`); continue; }
        if (isObj(r.content)) for (const [type, media] of Object.entries(r.content)) if (isObj(media) && media.schema !== undefined) schema(media.schema, `${where} ${code} ${type}`);
      }
      if (op.requestBody !== undefined) {
        if (!isObj(op.requestBody) || !isObj(op.requestBody.content)) p(`${where}: requestBody needs content`);
        else for (const [type, media] of Object.entries(op.requestBody.content)) if (isObj(media)) schema(media.schema, `${where} body ${type}`);
      }
      for (const req of (op.security ?? []) as unknown[]) {
        if (!isObj(req)) { p(`${where}: security requirement must be an object`); continue; }
        for (const name of Object.keys(req)) if (!(name in schemes)) p(`${where}: security scheme ${name} not defined`);
      }
    }
  }
  if (isObj(doc.components) && isObj(doc.components.schemas)) for (const [k, v] of Object.entries(doc.components.schemas)) schema(v, `components.schemas.${k}`);
  return problems;
}
