import type { ModelInfo } from '../../core/model-info.ts';
import type { ModelsRenderer } from '../dialect.ts';

function openaiModel(model: ModelInfo, created: number): unknown {
  return { id: model.id, object: 'model', created, owned_by: 'spillway' };
}

/**
 * GET /v1/models as OpenAI's `{object:"list",data}` and GET /v1/models/{id} as one `model` object.
 * https://platform.openai.com/docs/api-reference/models
 */
export const openaiModels: ModelsRenderer = {
  renderList(models, createdMs) {
    const created = Math.floor(createdMs / 1000);
    return JSON.stringify({ object: 'list', data: models.map((model) => openaiModel(model, created)) });
  },
  renderModel(model, createdMs) {
    return JSON.stringify(openaiModel(model, Math.floor(createdMs / 1000)));
  },
};
