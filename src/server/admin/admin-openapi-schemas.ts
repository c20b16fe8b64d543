/**
 * The schemas (components.schemas) of the admin API's OpenAPI document (admin-openapi.ts): the
 * bodies of keys, tenants, spend and audit records.
 */

/** A reference to one of the schemas below. */
export const ref = (name: string): unknown => ({ $ref: `#/components/schemas/${name}` });

const limits = {
  rpm: { type: 'integer', minimum: 1 },
  tpm: { type: 'integer', minimum: 1 },
  max_concurrency: { type: 'integer', minimum: 1 },
  budget: ref('Budget'),
  models: { type: 'array', items: { type: 'string' }, description: 'Allowed model groups; absent: all' },
};
const tenantSettings = {
  ...limits,
  regions: {
    type: 'array',
    items: { type: 'string' },
    description: 'Region prefixes deployments must match',
  },
  log_bodies: { type: 'boolean', description: 'Store redacted request and response bodies in the audit log' },
  model_limits: {
    type: 'object',
    description: 'Limits per model group, checked with the tenant limits',
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rpm: { type: 'integer', minimum: 1 },
        tpm: { type: 'integer', minimum: 1 },
        max_concurrency: { type: 'integer', minimum: 1 },
      },
    },
  },
};
const nullableTime = { type: ['string', 'null'], format: 'date-time' };

export const adminSchemas = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['message', 'type', 'code'],
        properties: {
          message: { type: 'string' },
          type: { type: 'string' },
          param: { type: ['string', 'null'] },
          code: { type: 'string' },
        },
      },
    },
  },
  Budget: {
    type: 'object',
    required: ['usd'],
    properties: {
      usd: { type: 'number', minimum: 0 },
      period: { enum: ['day', 'week', 'month', 'total'], default: 'month' },
    },
  },
  CreateKey: {
    type: 'object',
    required: ['tenant'],
    additionalProperties: false,
    properties: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      expires_at: { oneOf: [{ type: 'string', format: 'date-time' }, { type: 'integer' }] },
      expires_in: { type: 'string', examples: ['30d'] },
      ...limits,
      tags: {
        type: 'array',
        items: { type: 'string', maxLength: 64 },
        maxItems: 32,
        description: 'tags router rules match (when: { tags }) for this key',
      },
      guardrails: {
        type: 'array',
        items: { type: 'string' },
        description: "named guardrails of the config that run for this key, after the tenant's",
      },
    },
  },
  Key: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      prefix: { type: 'string', description: 'First characters of the key, for recognition' },
      tenant: { type: 'string' },
      name: { type: ['string', 'null'] },
      status: { enum: ['active', 'expired', 'revoked'] },
      created_at: { type: 'string', format: 'date-time' },
      expires_at: nullableTime,
      revoked_at: nullableTime,
      ...limits,
    },
  },
  CreatedKey: {
    allOf: [
      ref('Key'),
      {
        type: 'object',
        required: ['key'],
        properties: { key: { type: 'string', description: 'sk-spw-...; shown only in this response' } },
      },
    ],
  },
  TenantSettings: { type: 'object', additionalProperties: false, properties: tenantSettings },
  CreateTenant: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: { name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }, ...tenantSettings },
  },
  Tenant: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      source: { enum: ['config', 'database', 'config+database'] },
      ...tenantSettings,
    },
  },
  SpendReport: {
    type: 'object',
    properties: {
      group_by: { type: 'string' },
      since: nullableTime,
      until: nullableTime,
      data: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            key: { type: 'string' },
            ...Object.fromEntries(
              [
                'requests',
                'errors',
                'input_tokens',
                'output_tokens',
                'cache_read_tokens',
                'cache_write_tokens',
              ].map((name) => [name, { type: 'integer' }]),
            ),
            cost_usd: { type: 'number' },
          },
        },
      },
    },
  },
  SpendRecord: {
    type: 'object',
    properties: {
      id: { type: 'string', description: "the gateway's own request id (x-spillway-request-id); unique" },
      request_id: {
        type: 'string',
        description: 'the x-request-id the client got: its own when it sent one (not unique), else the id',
      },
      time: { type: 'string', format: 'date-time' },
      ...Object.fromEntries(
        [
          'tenant',
          'key_id',
          'requested_group',
          'served_group',
          'deployment',
          'provider',
          'provider_type',
          'region',
          'account',
          'model',
          'dialect',
          'endpoint',
        ].map((n) => [n, { type: 'string' }]),
      ),
      stream: { type: 'boolean' },
      error_code: { type: ['string', 'null'] },
      ...Object.fromEntries(
        [
          'status',
          'attempts',
          'fallbacks',
          'input_tokens',
          'output_tokens',
          'cache_read_tokens',
          'cache_write_tokens',
          'latency_ms',
          'overhead_ms',
        ].map((n) => [n, { type: 'integer' }]),
      ),
      first_token_ms: { type: ['integer', 'null'] },
      cost_usd: { type: ['number', 'null'] },
      usage_estimated: {
        type: 'boolean',
        description: 'tokens estimated by the gateway: the stream ended before the upstream reported usage',
      },
      answered_by: {
        type: ['string', 'null'],
        description: 'the request stage that answered without a deployment (cache), else null',
      },
      route: {
        type: ['string', 'null'],
        description: 'the router decisions that chose the served group (<router>:<rule>), else null',
      },
      saved_usd: {
        type: ['number', 'null'],
        description: "a cache hit's saving: what the replayed answer cost when it was made",
      },
    },
  },
  AuditRecord: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      actor: { type: 'string' },
      action: { type: 'string' },
      target: { type: 'string' },
      details: { type: 'object' },
    },
  },
} as const;
