import type { EventSink } from '../../core/gateway-events.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { settle, type Detector, type Finding } from './detector.ts';

export type GuardrailAction = 'block' | 'mask' | 'flag';
export type Direction = 'input' | 'output';

/** A configured guardrail, compiled: its name, what it does on a match, and its detector. */
export interface Guardrail {
  readonly name: string;
  readonly action: GuardrailAction;
  readonly detector: Detector;
}

/** A finding and the guardrail that made it. */
interface Hit extends Finding {
  readonly guardrail: Guardrail;
}

/** What one scan found: a guardrail that blocks, else the text with its masks applied. */
export interface Scan {
  readonly hits: readonly Hit[];
  readonly blockedBy: Guardrail | undefined;
}

/**
 * The guardrails of one request in one direction, and what they did so far: it scans text, masks
 * it, refuses it, and counts every action per guardrail and entity type (never the matched text),
 * reported once as `guardrail-applied` events when the direction is done.
 */
export class TextCheck {
  private readonly guardrails: readonly Guardrail[];
  private readonly direction: Direction;
  /** guardrail name → entity → count. */
  private readonly tallies = new Map<string, Map<string, number>>();

  constructor(guardrails: readonly Guardrail[], direction: Direction) {
    this.guardrails = guardrails;
    this.direction = direction;
  }

  /** Every guardrail's findings in `text`; a block finding anywhere names its guardrail. */
  scan(text: string): Scan {
    const hits: Hit[] = [];
    let blockedBy: Guardrail | undefined;
    for (const guardrail of this.guardrails) {
      for (const finding of guardrail.detector.find(text)) {
        hits.push({ ...finding, guardrail });
        if (guardrail.action === 'block') blockedBy ??= guardrail;
      }
    }
    return { hits, blockedBy };
  }

  /**
   * `text[0, end)` with the masks of the hits inside it applied (hits ending after `end` are left
   * for a later call); counts them. Throws the guardrail's refusal when one blocks.
   */
  release(text: string, scan: Scan, end = text.length): string {
    if (scan.blockedBy !== undefined) {
      for (const hit of scan.hits) if (hit.guardrail === scan.blockedBy) this.count(hit);
      throw this.refusal(scan.blockedBy);
    }
    if (scan.hits.length === 0) return end === text.length ? text : text.slice(0, end);
    const masks: Hit[] = [];
    for (const hit of scan.hits) {
      if (hit.end > end) continue;
      this.count(hit);
      if (hit.guardrail.action === 'mask') masks.push(hit);
    }
    let out = '';
    let at = 0;
    for (const hit of settle(masks) as readonly Hit[]) {
      out += text.slice(at, hit.start) + hit.guardrail.detector.maskOf(hit.entity);
      at = hit.end;
    }
    return out + text.slice(at, end);
  }

  /** Scans and releases the whole of `text`. */
  apply(text: string): string {
    return this.release(text, this.scan(text));
  }

  /** The refusal of a block: names the guardrail and the direction, never the matched text. */
  refusal(guardrail: Guardrail): GatewayError {
    const what = this.direction === 'input' ? 'request' : 'answer';
    return new GatewayError(`the ${what} was refused by guardrail "${guardrail.name}" (content policy)`, {
      code: 'content_policy',
    });
  }

  private count(hit: Hit): void {
    let entities = this.tallies.get(hit.guardrail.name);
    if (entities === undefined) {
      entities = new Map();
      this.tallies.set(hit.guardrail.name, entities);
    }
    entities.set(hit.entity, (entities.get(hit.entity) ?? 0) + 1);
  }

  /** Emits one `guardrail-applied` event per guardrail that acted; call once, when done. */
  report(events: EventSink, request: { requestId: string; tenant: string; group: string }): void {
    for (const guardrail of this.guardrails) {
      const entities = this.tallies.get(guardrail.name);
      if (entities === undefined) continue;
      events.emit({
        type: 'guardrail-applied',
        requestId: request.requestId,
        tenant: request.tenant,
        group: request.group,
        guardrail: guardrail.name,
        action: guardrail.action,
        direction: this.direction,
        entities: Object.fromEntries(entities),
      });
    }
    this.tallies.clear();
  }
}
