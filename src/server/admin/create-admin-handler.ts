import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import { openaiErrorBody } from '../../dialects/openai-chat/openai-error.ts';
import { adminDenial, authorizeAdmin, sendAdminJson } from './admin-authorization.ts';
import { GatewayError, toGatewayError } from '../../errors/gateway-error.ts';
import type { KeyAdministration, KeyView, TenantView } from '../../governance/key-administration.ts';
import { parseDuration } from '../../governance/parse-duration.ts';
import type { Repositories, SpendRecord } from '../../persistence/repositories.ts';
import { readJsonBody } from '../read-json-body.ts';
import { validationError } from '../../dialects/validation-error.ts';
import { adminOpenApi } from './admin-openapi.ts';
import {
  auditQuery,
  createKeyBody,
  createTenantBody,
  keySettingsFromBody,
  settingsToJson,
  spendQuery,
  spendRecordsQuery,
  tenantSettingsFromBody,
  updateTenantBody,
} from './admin-schemas.ts';
import type { CreateKeyBody } from './admin-schemas.ts';
import { isoTime, parseTimeParameter } from './admin-time.ts';

export interface AdminHandlerDeps {
  /** The current `server.admin_key` (read per request, so reloads apply); undefined: the admin API answers 404. */
  readonly adminKey: () => string | undefined;
  /** Key and tenant operations (stored, audited, announced to replicas). */
  readonly administration: KeyAdministration;
  /** Spend and audit queries. */
  readonly repositories: Pick<Repositories, 'spend' | 'audit'>;
  readonly clock?: Clock;
  /** Largest accepted body (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** A body must arrive within this time, or 408 (`server.body_timeout_ms`; none when absent). */
  readonly bodyTimeoutMs?: number;
  /** The guardrail names the config defines (a key may name only these); default: none checked. */
  readonly guardrailNames?: (() => readonly string[]) | undefined;
}

/** The admin API handler the server mounts at `/admin`. */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

const actor = 'admin';

const sendJson = sendAdminJson;

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

const notFound = (message = 'not found'): GatewayError => new GatewayError(message, { code: 'not_found' });

function keyJson(view: KeyView): Record<string, unknown> {
  return {
    id: view.id,
    prefix: view.prefix,
    tenant: view.tenant,
    name: view.name ?? null,
    status: view.status,
    created_at: isoTime(view.createdAt),
    expires_at: isoTime(view.expiresAt) ?? null,
    revoked_at: isoTime(view.revokedAt) ?? null,
    ...settingsToJson(view.settings),
    ...(view.settings.tags === undefined ? {} : { tags: view.settings.tags }),
    ...(view.settings.guardrails === undefined ? {} : { guardrails: view.settings.guardrails }),
  };
}

function tenantJson(view: TenantView): Record<string, unknown> {
  return { name: view.name, source: view.source, ...settingsToJson(view.settings) };
}

function spendRecordJson(record: SpendRecord): Record<string, unknown> {
  return {
    id: record.id,
    request_id: record.requestId,
    time: isoTime(record.time),
    tenant: record.tenant,
    key_id: record.keyId,
    requested_group: record.requestedGroup,
    served_group: record.servedGroup,
    deployment: record.deployment,
    provider: record.provider,
    provider_type: record.providerType,
    region: record.region,
    account: record.account,
    model: record.model,
    dialect: record.dialect,
    endpoint: record.endpoint,
    stream: record.stream,
    status: record.status,
    error_code: record.errorCode ?? null,
    attempts: record.attempts,
    fallbacks: record.fallbacks,
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    cache_read_tokens: record.cacheReadTokens,
    cache_write_tokens: record.cacheWriteTokens,
    cost_usd: record.costUsd ?? null,
    usage_estimated: record.usageEstimated,
    answered_by: record.answeredBy ?? null,
    saved_usd: record.savedUsd ?? null,
    route: record.route ?? null,
    latency_ms: record.latencyMs,
    first_token_ms: record.firstTokenMs ?? null,
    overhead_ms: record.overheadMs,
  };
}

function expiryOf(body: CreateKeyBody, now: number): number | undefined {
  if (body.expires_at !== undefined && body.expires_in !== undefined) {
    throw new GatewayError('give expires_at or expires_in, not both', {
      code: 'invalid_request',
      param: 'expires_in',
    });
  }
  if (body.expires_at !== undefined)
    return typeof body.expires_at === 'number' ? body.expires_at : Date.parse(body.expires_at);
  if (body.expires_in === undefined) return undefined;
  const duration = parseDuration(body.expires_in);
  if (duration === undefined) {
    throw new GatewayError('expires_in: expected a duration like 30d, 12h or 90m', {
      code: 'invalid_request',
      param: 'expires_in',
    });
  }
  return now + duration;
}

/** A %-decoded path segment; a malformed escape is the client's mistake (400), not ours. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GatewayError(`path segment "${segment}" is not valid %-encoding`, {
      code: 'invalid_request',
      status: 400,
    });
  }
}

/**
 * Creates the admin API: bearer `server.admin_key` (constant-time compare), JSON in and out, errors as
 * `{error:{message,type,param,code}}`. Routes and shapes: GET /admin/openapi.json.
 */
export function createAdminHandler(deps: AdminHandlerDeps): AdminHandler {
  const clock = deps.clock ?? systemClock;
  const maxBodyBytes = deps.maxBodyBytes ?? 1024 * 1024;
  const bodyLimits = { timeoutMs: deps.bodyTimeoutMs, clock };
  const admin = deps.administration;

  const authorize = (req: IncomingMessage): void => {
    const verdict = authorizeAdmin(req, deps.adminKey());
    if (verdict !== 'allowed') throw adminDenial(verdict);
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    authorize(req);
    const path = url.pathname.replace(/^\/admin/, '').replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const query = Object.fromEntries(url.searchParams);
    const now = clock.now();
    const segments = path
      .split('/')
      .filter((segment) => segment !== '')
      .map(decodePathSegment);
    const [first, second, third] = segments;

    if (first === 'openapi.json' && segments.length === 1 && method === 'GET') {
      sendJson(res, 200, adminOpenApi);
      return;
    }
    if (first === 'keys') {
      if (segments.length === 1 && method === 'POST') {
        const body = parse(createKeyBody, await readJsonBody(req, maxBodyBytes, bodyLimits));
        const known = deps.guardrailNames?.();
        const unknown =
          known === undefined ? undefined : body.guardrails?.find((name) => !known.includes(name));
        if (unknown !== undefined) {
          throw new GatewayError(
            `guardrails: unknown guardrail "${unknown}" (defined: ${known?.join(', ') || 'none'})`,
            { code: 'invalid_request', param: 'guardrails' },
          );
        }
        const created = await admin.createKey(
          {
            tenant: body.tenant,
            name: body.name,
            expiresAt: expiryOf(body, now),
            settings: keySettingsFromBody(body),
          },
          actor,
        );
        sendJson(res, 201, { key: created.key, ...keyJson(created.view) });
        return;
      }
      if (segments.length === 1 && method === 'GET') {
        sendJson(res, 200, { data: (await admin.listKeys(query['tenant'])).map(keyJson) });
        return;
      }
      if (second !== undefined && segments.length === 3 && third === 'revoke' && method === 'POST') {
        sendJson(res, 200, keyJson(await admin.revokeKey(second, actor)));
        return;
      }
      if (second !== undefined && segments.length === 2 && method === 'DELETE') {
        await admin.deleteKey(second, actor);
        sendJson(res, 200, { id: second, deleted: true });
        return;
      }
    }
    if (first === 'tenants') {
      if (segments.length === 1 && method === 'GET') {
        sendJson(res, 200, { data: (await admin.listTenants()).map(tenantJson) });
        return;
      }
      if (segments.length === 1 && method === 'POST') {
        const body = parse(createTenantBody, await readJsonBody(req, maxBodyBytes, bodyLimits));
        sendJson(
          res,
          201,
          tenantJson(await admin.createTenant(body.name, tenantSettingsFromBody(body), actor)),
        );
        return;
      }
      if (second !== undefined && segments.length === 2 && method === 'PATCH') {
        const body = parse(updateTenantBody, await readJsonBody(req, maxBodyBytes, bodyLimits));
        sendJson(res, 200, tenantJson(await admin.updateTenant(second, tenantSettingsFromBody(body), actor)));
        return;
      }
    }
    if (first === 'spend' && method === 'GET') {
      if (segments.length === 1) {
        const q = parse(spendQuery, query);
        const since = parseTimeParameter(q.since, now, 'since');
        const until = parseTimeParameter(q.until, now, 'until');
        const sums = await deps.repositories.spend.sum({
          groupBy: q.group_by,
          since,
          until,
          tenant: q.tenant,
        });
        sendJson(res, 200, {
          group_by: q.group_by,
          since: isoTime(since) ?? null,
          until: isoTime(until) ?? null,
          data: sums.map((sum) => ({
            key: sum.key,
            requests: sum.requests,
            errors: sum.errors,
            input_tokens: sum.inputTokens,
            output_tokens: sum.outputTokens,
            cache_read_tokens: sum.cacheReadTokens,
            cache_write_tokens: sum.cacheWriteTokens,
            cost_usd: sum.costUsd,
          })),
        });
        return;
      }
      if (second === 'records' && segments.length === 2) {
        const q = parse(spendRecordsQuery, query);
        const records = await deps.repositories.spend.list({
          since: parseTimeParameter(q.since, now, 'since'),
          until: parseTimeParameter(q.until, now, 'until'),
          tenant: q.tenant,
          limit: q.limit,
        });
        sendJson(res, 200, { data: records.map(spendRecordJson) });
        return;
      }
    }
    if (first === 'audit' && segments.length === 1 && method === 'GET') {
      const q = parse(auditQuery, query);
      const records = await deps.repositories.audit.list({
        since: parseTimeParameter(q.since, now, 'since'),
        action: q.action,
        limit: q.limit,
      });
      sendJson(res, 200, {
        data: records.map((record) => ({
          id: record.id,
          time: isoTime(record.time),
          actor: record.actor,
          action: record.action,
          target: record.target,
          details: record.details,
        })),
      });
      return;
    }
    throw notFound(`no admin route ${method} ${url.pathname}`);
  };

  return async (req, res, url) => {
    try {
      await route(req, res, url);
    } catch (caught) {
      const error = toGatewayError(caught);
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      if (error.status === 413 || error.status === 408) res.setHeader('connection', 'close');
      sendJson(res, error.status, openaiErrorBody(error));
    }
  };
}
