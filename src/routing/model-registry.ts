import type { Logger } from 'pino';
import type { ChatModel } from '../core/chat-model.ts';
import type { ModelTarget } from './routing-table.ts';

/**
 * Chat models by what they connect to, reused across config reloads (so a reload that leaves a
 * deployment alone keeps its connection pool). Models dropped by a reload are closed once no
 * request that may still use them is in flight.
 */
export class ModelRegistry {
  private readonly create: (target: ModelTarget) => ChatModel;
  private readonly logger: Logger;
  private current = new Map<string, ChatModel>();
  private retired: ChatModel[] = [];

  constructor(create: (target: ModelTarget) => ChatModel, logger: Logger) {
    this.create = create;
    this.logger = logger;
  }

  /**
   * Starts a generation: `modelFor` returns a model for each target, reusing one from the previous
   * generation when its provider and deployment connection settings are unchanged. Call `commit`
   * once the generation is in use (models of the previous one not reused are retired).
   */
  beginGeneration(): {
    modelFor: (target: ModelTarget) => ChatModel;
    commit: () => void;
    abandon: () => Promise<void>;
  } {
    const next = new Map<string, ChatModel>();
    const modelFor = (target: ModelTarget): ChatModel => {
      // Limits, weights and prices do not change the connection: they are not in the fingerprint.
      const fingerprint = JSON.stringify([
        target.providerName,
        target.provider,
        target.deployment.id,
        target.deployment.model,
      ]);
      const model = next.get(fingerprint) ?? this.current.get(fingerprint) ?? this.create(target);
      next.set(fingerprint, model);
      return model;
    };
    const commit = (): void => {
      const kept = new Set(next.values());
      for (const model of this.current.values()) if (!kept.has(model)) this.retired.push(model);
      this.current = next;
    };
    // A config that failed to build: close only the models it created.
    const abandon = async (): Promise<void> => {
      const existing = new Set(this.current.values());
      const created = [...next.values()].filter((model) => !existing.has(model));
      await Promise.all(created.map((model) => this.closeQuietly(model)));
    };
    return { modelFor, commit, abandon };
  }

  /** Closes retired models (call when no request of an older generation is in flight). */
  async closeRetired(): Promise<void> {
    const retired = this.retired;
    this.retired = [];
    await Promise.all(retired.map((model) => this.closeQuietly(model)));
  }

  /** Closes every model. */
  async close(): Promise<void> {
    const all = [...this.retired, ...this.current.values()];
    this.retired = [];
    this.current = new Map();
    await Promise.all(all.map((model) => this.closeQuietly(model)));
  }

  private async closeQuietly(model: ChatModel): Promise<void> {
    try {
      await model.close();
    } catch (error) {
      this.logger.warn({ err: error, model: model.modelId }, 'closing a chat model failed');
    }
  }
}
