/** The OpenAPI 3.1 document of the admin API, generated from the route table the router uses. */
import type { JsonSchema, Route } from './routes.js';

const errorRef = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string): JsonSchema => ({ description, content: { 'application/json': { schema: errorRef } } });

export function openApiDocument(routes: Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = {
      [String(r.status ?? 200)]: { description: 'Success.', content: { 'application/json': { schema: r.response } } },
    };
    for (const extra of r.alsoReturns ?? []) responses[String(extra.status)] = { description: extra.description, content: { 'application/json': { schema: r.response } } };
    if (r.params.length || r.requestBody) responses['400'] = errorResponse('Bad input; `setting` names the parameter.');
    if (r.auth) responses['401'] = errorResponse('No token, or an unknown token.');
    if (r.write) responses['403'] = errorResponse('The token is read-only.');
    if (r.write) responses['409'] = errorResponse('Not applied: the config file was refused, or a listener could not be bound (the error says which; previous listeners stay).');
    if (r.params.some((p) => p.in === 'path')) responses['404'] = errorResponse('No such item.');
    for (const e of r.errors ?? []) responses[String(e.status)] = errorResponse(e.description);
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      security: r.auth ? [{ bearer: [] }] : [],
      responses,
    };
    if (r.params.length) op.parameters = r.params.map((p) => ({ name: p.name, in: p.in, required: p.in === 'path', description: p.description, schema: p.schema }));
    if (r.requestBody) op.requestBody = { required: true, content: { 'application/json': { schema: r.requestBody } } };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Portcullis admin API',
      version,
      description: 'Settings, services, certificates, users and their app passwords, login blocks, login reports and analyzer findings. Authenticate with `Authorization: Bearer TOKEN` (portcullis admin token add NAME --scope read-only|read-write).',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An admin API token.' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: { type: 'string', description: 'What is wrong and what is allowed.' },
            setting: { type: 'string', description: 'The parameter or setting at fault.' },
            errors: { type: 'array', items: { type: 'object', required: ['setting', 'message'], properties: { setting: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
  };
}
