import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { KeyRecord, KeySettings, Repositories, TenantSettings } from '../persistence/repositories.ts';
import type { AuditLog } from './audit-log.ts';
import type { KeyRegistry } from './key-registry.ts';
import { createKeyId, displayPrefix, generateVirtualKey, hashKey } from './virtual-key.ts';

/** A key as listed: never the key or its hash. */
export interface KeyView {
  readonly id: string;
  readonly prefix: string;
  readonly tenant: string;
  readonly name?: string | undefined;
  readonly settings: KeySettings;
  readonly createdAt: number;
  readonly expiresAt?: number | undefined;
  readonly revokedAt?: number | undefined;
  readonly status: 'active' | 'expired' | 'revoked';
}

export interface TenantView {
  readonly name: string;
  /** Where it is defined: the config file, the database, or both (database fields win). */
  readonly source: 'config' | 'database' | 'config+database';
  /** Effective settings. */
  readonly settings: TenantSettings;
}

export interface CreateKeyInput {
  readonly tenant: string;
  readonly name?: string | undefined;
  readonly expiresAt?: number | undefined;
  readonly settings: KeySettings;
}

export interface KeyAdministrationOptions {
  readonly repositories: Repositories;
  readonly registry: KeyRegistry;
  readonly audit: AuditLog;
  /** Names of tenants defined in the config file (current after reloads). */
  readonly configTenantNames: () => readonly string[];
  readonly clock?: Clock;
}

const notFound = (message: string): GatewayError => new GatewayError(message, { code: 'not_found' });

/** Admin operations on keys and tenants: stored, audited, and announced to every replica. */
export class KeyAdministration {
  private readonly options: KeyAdministrationOptions;
  private readonly clock: Clock;

  constructor(options: KeyAdministrationOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
  }

  private view(key: KeyRecord): KeyView {
    const now = this.clock.now();
    const status =
      key.revokedAt !== undefined
        ? 'revoked'
        : key.expiresAt !== undefined && key.expiresAt <= now
          ? 'expired'
          : 'active';
    return {
      id: key.id,
      prefix: key.prefix,
      tenant: key.tenant,
      name: key.name,
      settings: key.settings,
      createdAt: key.createdAt,
      expiresAt: key.expiresAt,
      revokedAt: key.revokedAt,
      status,
    };
  }

  /** Creates a key; the returned `key` is the only time it is ever shown. */
  async createKey(input: CreateKeyInput, actor: string): Promise<{ key: string; view: KeyView }> {
    if (this.options.registry.tenantSettings(input.tenant) === undefined) {
      throw notFound(`unknown tenant "${input.tenant}": create it first (POST /admin/tenants)`);
    }
    const now = this.clock.now();
    if (input.expiresAt !== undefined && input.expiresAt <= now) {
      throw new GatewayError('expires_at must be in the future', {
        code: 'invalid_request',
        param: 'expires_at',
      });
    }
    const key = generateVirtualKey();
    const record: KeyRecord = {
      id: createKeyId(),
      hash: hashKey(key),
      prefix: displayPrefix(key),
      tenant: input.tenant,
      name: input.name,
      settings: input.settings,
      createdAt: now,
      expiresAt: input.expiresAt,
      updatedAt: now,
    };
    await this.options.repositories.keys.insert(record);
    await this.options.audit.recordAudit({
      actor,
      action: 'key.created',
      target: record.id,
      details: {
        tenant: record.tenant,
        name: record.name,
        prefix: record.prefix,
        expiresAt: record.expiresAt,
        settings: record.settings,
      },
    });
    await this.options.registry.refresh();
    await this.options.registry.announceChange();
    return { key, view: this.view(record) };
  }

  async listKeys(tenant?: string): Promise<KeyView[]> {
    const keys = await this.options.repositories.keys.list();
    return keys.filter((key) => tenant === undefined || key.tenant === tenant).map((key) => this.view(key));
  }

  async revokeKey(id: string, actor: string): Promise<KeyView> {
    if (!(await this.options.repositories.keys.revoke(id, this.clock.now())))
      throw notFound(`no key with id "${id}"`);
    await this.options.registry.announceRevocation(id);
    await this.options.audit.recordAudit({ actor, action: 'key.revoked', target: id });
    const stored = await this.options.repositories.keys.get(id);
    if (stored === undefined) throw notFound(`no key with id "${id}"`);
    return this.view(stored);
  }

  async deleteKey(id: string, actor: string): Promise<void> {
    if (!(await this.options.repositories.keys.delete(id))) throw notFound(`no key with id "${id}"`);
    await this.options.registry.announceRevocation(id);
    await this.options.audit.recordAudit({ actor, action: 'key.deleted', target: id });
  }

  async listTenants(): Promise<TenantView[]> {
    const stored = new Set((await this.options.repositories.tenants.list()).map((tenant) => tenant.name));
    const configured = new Set(this.options.configTenantNames());
    const names = [...new Set([...stored, ...configured])].sort();
    return names.map((name) => this.tenantView(name, configured.has(name), stored.has(name)));
  }

  private tenantView(name: string, inConfig: boolean, inDatabase: boolean): TenantView {
    const source = inConfig && inDatabase ? 'config+database' : inConfig ? 'config' : 'database';
    return { name, source, settings: this.options.registry.tenantSettings(name) ?? {} };
  }

  /** Creates a database tenant; 409 when the name is taken (update it with PATCH instead). */
  async createTenant(name: string, settings: TenantSettings, actor: string): Promise<TenantView> {
    const inConfig = this.options.configTenantNames().includes(name);
    if (inConfig || (await this.options.repositories.tenants.get(name)) !== undefined) {
      throw new GatewayError(`tenant "${name}" already exists: use PATCH /admin/tenants/${name}`, {
        code: 'conflict',
      });
    }
    await this.options.repositories.tenants.upsert(name, settings, this.clock.now());
    await this.options.audit.recordAudit({
      actor,
      action: 'tenant.created',
      target: name,
      details: { settings },
    });
    await this.options.registry.refresh();
    await this.options.registry.announceChange();
    return this.tenantView(name, false, true);
  }

  /** Overrides fields of a config or database tenant (stored in the database). */
  async updateTenant(name: string, patch: TenantSettings, actor: string): Promise<TenantView> {
    const inConfig = this.options.configTenantNames().includes(name);
    const stored = await this.options.repositories.tenants.get(name);
    if (!inConfig && stored === undefined) throw notFound(`no tenant named "${name}"`);
    const settings: Record<string, unknown> = { ...stored?.settings };
    for (const [field, value] of Object.entries(patch)) if (value !== undefined) settings[field] = value;
    await this.options.repositories.tenants.upsert(name, settings, this.clock.now());
    await this.options.audit.recordAudit({
      actor,
      action: 'tenant.updated',
      target: name,
      details: { changes: patch },
    });
    await this.options.registry.refresh();
    await this.options.registry.announceChange();
    return this.tenantView(name, inConfig, true);
  }
}
