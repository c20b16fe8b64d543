import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type { Principal } from '../core/principal.ts';
import type { TenantConfig } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Authenticator } from '../core/authenticator.ts';
import type { KeyRepository, TenantRepository, TenantSettings } from '../persistence/repositories.ts';
import type { StateStore } from '../core/state-store.ts';
import type { KeyIdentity } from './resolve-principal.ts';
import { mergeTenantSettings, resolvePrincipal, tenantSettingsFromConfig } from './resolve-principal.ts';
import { configKeyId, hashKey } from './virtual-key.ts';

/** Channel on which revocations reach every replica. */
export const keysRevokedChannel = 'spillway:keys:revoked';
/** Channel that asks every replica to reload keys and tenants now (after an admin change). */
export const governanceChangedChannel = 'spillway:governance:changed';

/** The tenant name used for keyless requests when anonymous use is allowed. */
export const anonymousTenant = 'anonymous';

const revokedMessage = z.object({ keyId: z.string() });

interface KeyEntry {
  readonly hash: Buffer;
  readonly keyId: string;
  readonly tenant: string;
  readonly expiresAt?: number | undefined;
  readonly principal: Principal;
}

interface DatabaseKey extends KeyIdentity {
  readonly hash: string;
  readonly tenant: string;
  readonly expiresAt?: number | undefined;
  readonly revoked: boolean;
}

export interface KeyRegistryOptions {
  /** Tenants of the config file (their plain keys are hashed here and not kept). */
  readonly tenants: Readonly<Record<string, TenantConfig>>;
  /** server.allow_anonymous. */
  readonly allowAnonymous?: boolean | undefined;
  /** Database keys and tenants; absent: config keys only. */
  readonly repositories?: { readonly keys: KeyRepository; readonly tenants: TenantRepository } | undefined;
  /** Carries revocations and change notices between replicas. */
  readonly store: StateStore;
  readonly clock?: Clock;
  /** How often database keys and tenants are reloaded (default 5000 ms). */
  readonly refreshIntervalMs?: number;
  /** Told when a reload fails (the previous keys keep serving). */
  readonly onError?: (error: unknown, context: string) => void;
}

const unauthorized = (message: string): GatewayError =>
  new GatewayError(message, { code: 'authentication_failed' });

/**
 * Resolves virtual keys to principals from memory. Keys are held only as SHA-256 hashes: a lookup
 * hashes the presented key, finds the entry by hash and confirms with a constant-time compare.
 * Config keys are hashed at load; database keys are loaded at start and reloaded every few seconds
 * or when another replica announces a change; revocations arrive over the state store's pub/sub and
 * apply at once.
 */
export class KeyRegistry implements Authenticator {
  private readonly options: KeyRegistryOptions;
  private readonly clock: Clock;
  private configTenants: Map<string, TenantSettings> = new Map();
  private configKeys = new Map<string, { tenant: string; keyId: string; hash: Buffer }>();
  private databaseTenants = new Map<string, TenantSettings>();
  private databaseKeys: DatabaseKey[] = [];
  private entries = new Map<string, KeyEntry>();
  /** Revocations heard on the channel, applied until a reload shows them. */
  private readonly revokedIds = new Set<string>();
  private allowAnonymous: boolean | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribers: (() => Promise<void>)[] = [];

  private constructor(options: KeyRegistryOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.allowAnonymous = options.allowAnonymous;
    this.loadConfig(options.tenants);
  }

  /** Loads database keys, subscribes to revocations and starts the periodic reload. */
  static async start(options: KeyRegistryOptions): Promise<KeyRegistry> {
    const registry = new KeyRegistry(options);
    await registry.refresh();
    registry.unsubscribers.push(
      await options.store.subscribe(keysRevokedChannel, (message) => {
        registry.applyRevocation(message);
      }),
      await options.store.subscribe(governanceChangedChannel, () => {
        registry.refresh().catch((error: unknown) => {
          registry.report(error, 'key reload after a change notice failed');
        });
      }),
    );
    registry.timer = setInterval(() => {
      registry.refresh().catch((error: unknown) => {
        registry.report(error, 'periodic key reload failed; previous keys keep serving');
      });
    }, options.refreshIntervalMs ?? 5000);
    registry.timer.unref();
    return registry;
  }

  private report(error: unknown, context: string): void {
    this.options.onError?.(error, context);
  }

  /** Applies a new config (reload): tenants and their keys replace the old ones. */
  updateConfig(tenants: Readonly<Record<string, TenantConfig>>, allowAnonymous: boolean | undefined): void {
    this.allowAnonymous = allowAnonymous;
    this.loadConfig(tenants);
  }

  private loadConfig(tenants: Readonly<Record<string, TenantConfig>>): void {
    const settings = new Map<string, TenantSettings>();
    const keys = new Map<string, { tenant: string; keyId: string; hash: Buffer }>();
    for (const [name, tenant] of Object.entries(tenants)) {
      settings.set(name, tenantSettingsFromConfig(tenant));
      for (const key of tenant.keys) {
        const hash = hashKey(key);
        keys.set(hash, { tenant: name, keyId: configKeyId(name, key), hash: Buffer.from(hash, 'hex') });
      }
    }
    this.configTenants = settings;
    this.configKeys = keys;
    this.rebuild();
  }

  /** Reloads database keys and tenants now. Rejects (keeping the old ones) if the database fails. */
  async refresh(): Promise<void> {
    const repositories = this.options.repositories;
    if (repositories === undefined) return;
    const [keys, tenants] = await Promise.all([repositories.keys.list(), repositories.tenants.list()]);
    this.databaseTenants = new Map(tenants.map((tenant) => [tenant.name, tenant.settings]));
    this.databaseKeys = keys.map((key) => ({
      hash: key.hash,
      keyId: key.id,
      tenant: key.tenant,
      keyName: key.name,
      settings: key.settings,
      expiresAt: key.expiresAt,
      revoked: key.revokedAt !== undefined,
    }));
    const present = new Set(keys.filter((key) => key.revokedAt === undefined).map((key) => key.id));
    for (const id of this.revokedIds) if (!present.has(id)) this.revokedIds.delete(id);
    this.rebuild();
  }

  /** The effective settings of a tenant (config overlaid with the database), undefined if unknown. */
  tenantSettings(name: string): TenantSettings | undefined {
    const base = this.configTenants.get(name);
    const override = this.databaseTenants.get(name);
    if (base === undefined && override === undefined) return undefined;
    return mergeTenantSettings(base, override);
  }

  /** Whether requests can carry this tenant: a config or database tenant, or `anonymous`. */
  hasTenant(name: string): boolean {
    return this.configTenants.has(name) || this.databaseTenants.has(name) || name === anonymousTenant;
  }

  /** Names of every tenant, config and database. */
  tenantNames(): string[] {
    return [...new Set([...this.configTenants.keys(), ...this.databaseTenants.keys()])].sort();
  }

  private rebuild(): void {
    const entries = new Map<string, KeyEntry>();
    for (const [hash, key] of this.configKeys) {
      const settings = this.tenantSettings(key.tenant);
      if (settings === undefined) continue;
      entries.set(hash, {
        hash: key.hash,
        keyId: key.keyId,
        tenant: key.tenant,
        principal: resolvePrincipal(key.tenant, settings, { keyId: key.keyId, settings: {} }),
      });
    }
    for (const key of this.databaseKeys) {
      const settings = this.tenantSettings(key.tenant);
      if (key.revoked || settings === undefined) continue;
      entries.set(key.hash, {
        hash: Buffer.from(key.hash, 'hex'),
        keyId: key.keyId,
        tenant: key.tenant,
        expiresAt: key.expiresAt,
        principal: resolvePrincipal(key.tenant, settings, key),
      });
    }
    this.entries = entries;
  }

  private applyRevocation(message: string): void {
    let keyId: string;
    try {
      keyId = revokedMessage.parse(JSON.parse(message)).keyId;
    } catch (error) {
      this.report(error, 'ignored a malformed key revocation message');
      return;
    }
    this.revokedIds.add(keyId);
  }

  /** Tells every replica (this one included) that a key is revoked or deleted. */
  async announceRevocation(keyId: string): Promise<void> {
    this.revokedIds.add(keyId);
    await this.options.store.publish(keysRevokedChannel, JSON.stringify({ keyId }));
  }

  /** Tells every replica (this one included) to reload keys and tenants. */
  async announceChange(): Promise<void> {
    await this.options.store.publish(governanceChangedChannel, '{}');
  }

  /**
   * Whether a request without a key is refused: under the running settings, or with `next` (a
   * reload's tenants and `server.allow_anonymous`) in place of the config's; database tenants and
   * keys count as they are.
   */
  requiresKeys(next?: {
    readonly tenants: Readonly<Record<string, TenantConfig>>;
    readonly allowAnonymous: boolean | undefined;
  }): boolean {
    const allowAnonymous = next === undefined ? this.allowAnonymous : next.allowAnonymous;
    if (allowAnonymous !== undefined) return !allowAnonymous;
    const configTenants = next === undefined ? this.configTenants.size : Object.keys(next.tenants).length;
    const configKeys =
      next === undefined
        ? this.configKeys.size
        : Object.values(next.tenants).reduce((sum, tenant) => sum + tenant.keys.length, 0);
    return configTenants + configKeys + this.databaseTenants.size + this.databaseKeys.length > 0;
  }

  /** True when nothing requires a key: no tenants and no keys anywhere, and anonymous use not turned off. */
  private openByDefault(): boolean {
    return (
      this.allowAnonymous !== false &&
      this.configTenants.size === 0 &&
      this.databaseTenants.size === 0 &&
      this.configKeys.size === 0 &&
      this.databaseKeys.length === 0
    );
  }

  private anonymousPrincipal(): Principal {
    const settings = this.tenantSettings(anonymousTenant) ?? {};
    return resolvePrincipal(anonymousTenant, settings, { keyId: anonymousTenant, settings: {} });
  }

  authenticate(credential: string | undefined): Principal {
    const key = credential?.trim().replace(/^Bearer\s+/i, '') ?? '';
    if (key === '') {
      if (this.allowAnonymous === true || this.openByDefault()) return this.anonymousPrincipal();
      throw unauthorized('missing API key: send it as "Authorization: Bearer <key>" or "x-api-key"');
    }
    const hash = hashKey(key);
    const entry = this.entries.get(hash);
    const valid =
      entry !== undefined &&
      timingSafeEqual(entry.hash, Buffer.from(hash, 'hex')) &&
      !this.revokedIds.has(entry.keyId) &&
      (entry.expiresAt === undefined || entry.expiresAt > this.clock.now());
    if (valid) return entry.principal;
    // With no tenants and no keys at all, clients that must send some key (SDKs) still get in.
    if (this.openByDefault()) return this.anonymousPrincipal();
    throw unauthorized('invalid API key');
  }

  /** Stops the reload timer and unsubscribes. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const unsubscribers = this.unsubscribers;
    this.unsubscribers = [];
    await Promise.all(unsubscribers.map((unsubscribe) => unsubscribe()));
  }
}
