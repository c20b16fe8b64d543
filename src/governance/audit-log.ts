import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type { EventSink, GatewayEvent } from '../core/gateway-events.ts';
import { createId } from '../core/ids.ts';
import type { AuditRecord, AuditRepository } from '../persistence/repositories.ts';
import { redactSecrets } from './redact-secrets.ts';

/** An action to record. */
export interface AuditEntry {
  /** Who did it ("admin", "system", ...). */
  readonly actor: string;
  /** Dotted noun-verb: "key.created", "key.revoked", "key.deleted", "tenant.created", "tenant.updated", "config.reloaded". */
  readonly action: string;
  /** What it was done to (key id, tenant name, config path). */
  readonly target: string;
  /** Structured details; secrets are redacted before storing. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditLogOptions {
  readonly audit: AuditRepository;
  readonly clock?: Clock;
  /** Request bodies waiting to be stored before the oldest are dropped (default 1000). */
  readonly maxQueuedBodies?: number;
  readonly onError?: (error: unknown, context: string) => void;
}

/**
 * The audit log: admin actions, config reloads, and (for tenants that opted in with `log_bodies`)
 * request and response bodies, always redacted. Per-request metadata lives in spend records.
 */
export class AuditLog implements EventSink {
  private readonly audit: AuditRepository;
  private readonly clock: Clock;
  private readonly maxQueuedBodies: number;
  private readonly onError: (error: unknown, context: string) => void;
  private bodies: AuditRecord[] = [];
  private writing: Promise<void> | undefined;

  constructor(options: AuditLogOptions) {
    this.audit = options.audit;
    this.clock = options.clock ?? systemClock;
    this.maxQueuedBodies = options.maxQueuedBodies ?? 1000;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Stores one action (awaited: admin actions are not on the request path). Returns what was stored. */
  async recordAudit(entry: AuditEntry): Promise<AuditRecord> {
    const record: AuditRecord = {
      id: createId('aud_'),
      time: this.clock.now(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      details: redactSecrets(entry.details ?? {}) as Record<string, unknown>,
    };
    await this.audit.insert(record);
    return record;
  }

  /**
   * Queues, to be stored in the background: the bodies of a finished request whose tenant opted
   * in, and every guardrail action (`guardrail.block|mask|flag`: guardrail, direction, entity types
   * and counts; never the matched text).
   */
  emit(event: GatewayEvent): void {
    if (event.type === 'guardrail-applied') {
      this.queue({
        id: createId('aud_'),
        time: this.clock.now(),
        actor: 'gateway',
        action: `guardrail.${event.action}`,
        target: event.requestId,
        details: {
          tenant: event.tenant,
          group: event.group,
          guardrail: event.guardrail,
          direction: event.direction,
          entities: { ...event.entities },
        },
      });
      return;
    }
    if (event.type !== 'request-finished' || event.bodies === undefined) return;
    this.queue({
      id: createId('aud_'),
      time: event.startedAt,
      actor: event.keyId,
      action: 'request.bodies',
      target: event.requestId,
      details: {
        tenant: event.tenant,
        request: redactSecrets(event.bodies.request),
        response: redactSecrets(event.bodies.response),
      },
    });
  }

  private queue(record: AuditRecord): void {
    if (this.bodies.length >= this.maxQueuedBodies) {
      this.bodies.shift();
      this.onError(new Error('audit queue full'), 'dropped the oldest queued audit record');
    }
    this.bodies.push(record);
    this.writing ??= this.writeBodies().finally(() => {
      this.writing = undefined;
    });
  }

  private async writeBodies(): Promise<void> {
    for (let record = this.bodies.shift(); record !== undefined; record = this.bodies.shift()) {
      try {
        await this.audit.insert(record);
      } catch (error) {
        this.onError(error, `could not store the audit record ${record.action} of request ${record.target}`);
      }
    }
  }

  /** Waits until queued bodies are written. */
  async flush(): Promise<void> {
    await this.writing;
  }
}
