/** The OpenAPI 3.1 description of the admin API, served at GET /admin/openapi.json. */

import { adminSchemas, ref } from './admin-openapi-schemas.ts';

const json = (schema: unknown): unknown => ({ content: { 'application/json': { schema } } });
const list = (name: string): unknown => ({
  type: 'object',
  required: ['data'],
  properties: { data: { type: 'array', items: ref(name) } },
});
const errors = {
  '400': { description: 'Invalid request', ...(json(ref('Error')) as object) },
  '401': { description: 'Missing or wrong admin key', ...(json(ref('Error')) as object) },
  '404': {
    description: 'Not found, or the admin API is off (no server.admin_key)',
    ...(json(ref('Error')) as object),
  },
};
const timeParameter = (name: string, description: string): unknown => ({
  name,
  in: 'query',
  required: false,
  description: `${description}: ISO 8601 time, epoch milliseconds, or a duration ago such as 24h or 7d`,
  schema: { type: 'string' },
});
const limitParameter = (fallback: number): unknown => ({
  name: 'limit',
  in: 'query',
  required: false,
  schema: { type: 'integer', minimum: 1, maximum: 10000, default: fallback },
});
const pathParameter = (name: string): unknown => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
});
const tenantQuery = { name: 'tenant', in: 'query', required: false, schema: { type: 'string' } };

export const adminOpenApi = {
  openapi: '3.1.0',
  info: {
    title: 'Spillway admin API',
    version: '1',
    description: 'Virtual keys, tenants, spend and audit. Bearer server.admin_key.',
  },
  servers: [{ url: '/' }],
  security: [{ adminKey: [] }],
  paths: {
    '/admin/keys': {
      post: {
        summary: 'Create a virtual key (the key is returned once, never again)',
        requestBody: { required: true, ...(json(ref('CreateKey')) as object) },
        responses: { '201': { description: 'Created', ...(json(ref('CreatedKey')) as object) }, ...errors },
      },
      get: {
        summary: 'List keys (never the key or its hash)',
        parameters: [tenantQuery],
        responses: { '200': { description: 'Keys', ...(json(list('Key')) as object) }, ...errors },
      },
    },
    '/admin/keys/{id}/revoke': {
      post: {
        summary: 'Revoke a key (applies on every replica within a second)',
        parameters: [pathParameter('id')],
        responses: { '200': { description: 'Revoked', ...(json(ref('Key')) as object) }, ...errors },
      },
    },
    '/admin/keys/{id}': {
      delete: {
        summary: 'Delete a key',
        parameters: [pathParameter('id')],
        responses: {
          '200': {
            description: 'Deleted',
            ...(json({
              type: 'object',
              properties: { id: { type: 'string' }, deleted: { const: true } },
            }) as object),
          },
          ...errors,
        },
      },
    },
    '/admin/tenants': {
      get: {
        summary: 'List tenants (config and database)',
        responses: { '200': { description: 'Tenants', ...(json(list('Tenant')) as object) }, ...errors },
      },
      post: {
        summary: 'Create a database tenant',
        requestBody: { required: true, ...(json(ref('CreateTenant')) as object) },
        responses: {
          '201': { description: 'Created', ...(json(ref('Tenant')) as object) },
          '409': { description: 'Exists', ...(json(ref('Error')) as object) },
          ...errors,
        },
      },
    },
    '/admin/tenants/{name}': {
      patch: {
        summary: 'Override settings of a config or database tenant',
        parameters: [pathParameter('name')],
        requestBody: { required: true, ...(json(ref('TenantSettings')) as object) },
        responses: { '200': { description: 'Updated', ...(json(ref('Tenant')) as object) }, ...errors },
      },
    },
    '/admin/spend': {
      get: {
        summary: 'Spend sums grouped over a time window',
        parameters: [
          {
            name: 'group_by',
            in: 'query',
            required: false,
            schema: {
              enum: ['tenant', 'key', 'group', 'deployment', 'region', 'account', 'day'],
              default: 'tenant',
            },
          },
          timeParameter('since', 'Window start (inclusive)'),
          timeParameter('until', 'Window end (exclusive)'),
          tenantQuery,
        ],
        responses: {
          '200': {
            description: 'Sums, largest cost first (by date for day)',
            ...(json(ref('SpendReport')) as object),
          },
          ...errors,
        },
      },
    },
    '/admin/spend/records': {
      get: {
        summary: 'Raw spend records over a window, oldest first',
        parameters: [
          timeParameter('since', 'Window start'),
          timeParameter('until', 'Window end'),
          tenantQuery,
          limitParameter(1000),
        ],
        responses: { '200': { description: 'Records', ...(json(list('SpendRecord')) as object) }, ...errors },
      },
    },
    '/admin/audit': {
      get: {
        summary: 'Audit records, newest first',
        parameters: [
          timeParameter('since', 'Oldest time'),
          { name: 'action', in: 'query', required: false, schema: { type: 'string' } },
          limitParameter(100),
        ],
        responses: { '200': { description: 'Records', ...(json(list('AuditRecord')) as object) }, ...errors },
      },
    },
    '/admin/replicas': {
      get: {
        summary:
          'Live gateway replicas (heartbeats in the state store) and whether their config hashes agree',
        responses: {
          '200': {
            description: 'Replicas',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['replicas', 'config_hashes_match'],
                  properties: {
                    replicas: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['id', 'version', 'configHash', 'startedAt', 'host', 'port'],
                        properties: {
                          id: { type: 'string' },
                          version: { type: 'string' },
                          configHash: { type: 'string' },
                          startedAt: { type: 'integer', description: 'epoch ms' },
                          host: { type: 'string' },
                          port: { type: 'integer' },
                        },
                      },
                    },
                    config_hashes_match: { type: 'boolean' },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/admin/dashboard/summary': {
      get: {
        summary:
          "This replica's traffic, time to first token and deployment health, for the web dashboard at /dashboard",
        responses: {
          '200': { description: 'Summary', content: { 'application/json': { schema: { type: 'object' } } } },
          ...errors,
        },
      },
    },
    '/admin/dashboard/history': {
      get: {
        summary:
          "This process's time series for the dashboard's charts: requests, errors by class and group, attempts by deployment, region and account, first-token p50/p99 by group and deployment, spend, breaker and cooldown spans (docs/operations.md, Dashboard)",
        parameters: [
          {
            name: 'range',
            in: 'query',
            required: false,
            description: '15m and 1h answer 10 s buckets, 6h answers 1 min buckets',
            schema: { type: 'string', enum: ['15m', '1h', '6h'], default: '1h' },
          },
        ],
        responses: {
          '200': {
            description: 'One value per bucket per series, oldest first',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: [
                    'time',
                    'range',
                    'interval_seconds',
                    'buckets',
                    'requests',
                    'errors',
                    'deployments',
                  ],
                  properties: {
                    time: { type: 'string', format: 'date-time' },
                    now: { type: 'integer', description: 'epoch ms' },
                    range: { type: 'string' },
                    interval_seconds: { type: 'integer' },
                    buckets: {
                      type: 'array',
                      items: { type: 'integer', description: 'bucket start, epoch ms' },
                    },
                    requests: { type: 'object' },
                    errors: { type: 'object' },
                    attempts: { type: 'object' },
                    ttft_ms: { type: 'object' },
                    spend_usd: { type: 'object' },
                    deployments: { type: 'array', items: { type: 'object' } },
                    retention: { type: 'object' },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/admin/openapi.json': {
      get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
    },
  },
  components: {
    securitySchemes: { adminKey: { type: 'http', scheme: 'bearer', description: 'server.admin_key' } },
    schemas: adminSchemas,
  },
} as const;
