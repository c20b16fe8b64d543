import type { ModelInfo } from '../../core/model-info.ts';
import type { ModelsRenderer } from '../dialect.ts';

function anthropicModel(model: ModelInfo, createdAt: string): unknown {
  return { type: 'model', id: model.id, display_name: model.description ?? model.id, created_at: createdAt };
}

/**
 * The Models API: a page `{data,has_more,first_id,last_id}` and one `model` object.
 * https://docs.claude.com/en/api/models-list
 */
export const anthropicModels: ModelsRenderer = {
  renderList(models, createdMs) {
    const createdAt = new Date(createdMs).toISOString();
    return JSON.stringify({
      data: models.map((model) => anthropicModel(model, createdAt)),
      has_more: false,
      first_id: models[0]?.id ?? null,
      last_id: models[models.length - 1]?.id ?? null,
    });
  },
  renderModel(model, createdMs) {
    return JSON.stringify(anthropicModel(model, new Date(createdMs).toISOString()));
  },
};
