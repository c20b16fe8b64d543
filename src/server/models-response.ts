import type { Dialect } from '../core/dialect-name.ts';
import type { ModelInfo } from '../pipeline/gateway.ts';

function openaiModel(model: ModelInfo, created: number): unknown {
  return { id: model.id, object: 'model', created, owned_by: 'spillway' };
}

function anthropicModel(model: ModelInfo, createdAt: string): unknown {
  return { type: 'model', id: model.id, display_name: model.description ?? model.id, created_at: createdAt };
}

/**
 * GET /v1/models: OpenAI's `{object:"list",data}` or, for Anthropic clients, the Models API page
 * `{data,has_more,first_id,last_id}`. `createdMs` is when the gateway started (groups have no birthday).
 */
export function renderModelList(models: readonly ModelInfo[], dialect: Dialect, createdMs: number): string {
  if (dialect === 'openai') {
    const created = Math.floor(createdMs / 1000);
    return JSON.stringify({ object: 'list', data: models.map((model) => openaiModel(model, created)) });
  }
  const createdAt = new Date(createdMs).toISOString();
  return JSON.stringify({
    data: models.map((model) => anthropicModel(model, createdAt)),
    has_more: false,
    first_id: models[0]?.id ?? null,
    last_id: models[models.length - 1]?.id ?? null,
  });
}

/** GET /v1/models/{id}: one model object in the dialect. */
export function renderModel(model: ModelInfo, dialect: Dialect, createdMs: number): string {
  return JSON.stringify(
    dialect === 'openai'
      ? openaiModel(model, Math.floor(createdMs / 1000))
      : anthropicModel(model, new Date(createdMs).toISOString()),
  );
}
