import type { BedrockGuardrailSettings, GuardrailSettings } from '../../core/guardrail-settings.ts';
import type { RequestStage } from '../../pipeline/request-stage.ts';
import type { RemoteGuardrail } from '../../core/remote-guardrail.ts';
import { BedrockGuardrailStage } from './bedrock-guardrail-stage.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import { detectorOf } from './detector.ts';
import { GuardrailStage } from './guardrail-stage.ts';
import type { Guardrail } from './text-check.ts';

interface Compiled {
  readonly guardrail: Guardrail;
  readonly input: boolean;
  readonly output: boolean;
}

/**
 * The guardrails of one configuration, compiled once, and the stage of each list of names (a
 * tenant's, then a group's; a name in both runs once). Lists are cached by their names, so every
 * tenant/group pair with the same guardrails shares one stage.
 */
export class GuardrailCatalog {
  private readonly compiled = new Map<string, Compiled>();
  private readonly stages = new Map<string, GuardrailStage | undefined>();
  private readonly events: EventSink;
  /** `type: bedrock` guardrails: a stage each (ApplyGuardrail is a network call per direction). */
  private readonly bedrock = new Map<string, BedrockGuardrailStage>();

  constructor(
    definitions: Readonly<Record<string, GuardrailSettings>>,
    events: EventSink,
    /** The client of a `type: bedrock` guardrail (undefined when its provider is not a Bedrock one). */
    remote: (config: BedrockGuardrailSettings) => RemoteGuardrail | undefined = () => undefined,
  ) {
    this.events = events;
    for (const [name, config] of Object.entries(definitions)) {
      if (config.type === 'bedrock') {
        // The config check refuses a guardrail whose provider is not a Bedrock one.
        const client = remote(config);
        if (client === undefined) continue;
        this.bedrock.set(
          name,
          new BedrockGuardrailStage({
            name,
            client,
            input: config.on.includes('input'),
            output: config.on.includes('output'),
            onError: config.on_error,
            events,
          }),
        );
        continue;
      }
      this.compiled.set(name, {
        guardrail: { name, action: config.action, detector: detectorOf(config) },
        input: config.on.includes('input'),
        output: config.on.includes('output'),
      });
    }
  }

  /** The `type: bedrock` guardrails among `names`, in order (each its own stage). */
  bedrockStagesOf(names: readonly string[]): RequestStage[] {
    return [...new Set(names)].flatMap((name) => {
      const stage = this.bedrock.get(name);
      return stage === undefined ? [] : [stage];
    });
  }

  /** The stage running `names` in order, or undefined when they are none. */
  stageOf(names: readonly string[]): GuardrailStage | undefined {
    if (names.length === 0) return undefined;
    const unique = [...new Set(names)];
    const key = unique.join('\u0000');
    if (this.stages.has(key)) return this.stages.get(key);
    const list = unique.flatMap((name) => {
      const compiled = this.compiled.get(name);
      return compiled === undefined ? [] : [compiled];
    });
    const stage =
      list.length === 0
        ? undefined
        : new GuardrailStage({
            input: list.filter((item) => item.input).map((item) => item.guardrail),
            output: list.filter((item) => item.output).map((item) => item.guardrail),
            events: this.events,
          });
    this.stages.set(key, stage);
    return stage;
  }
}
