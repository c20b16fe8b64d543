import { invalidRequest } from '../../errors/gateway-error.ts';

/**
 * The model group a Bedrock `modelId` path segment names. A plain id (`fast`,
 * `us.anthropic.claude-3-5-sonnet-20241022-v2:0`) is the group's name as it is; an ARN (a foundation
 * model, an inference profile, a provisioned model) names the group by its resource id, the part
 * after the last `/`, so `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.x`
 * is the group `us.anthropic.x`. Clients keep the ids they already use; the operator names groups
 * after them.
 */
export function groupOfModelId(modelId: string | undefined): string {
  if (modelId === undefined || modelId === '')
    throw invalidRequest('modelId: missing in the path', 'modelId');
  if (!modelId.startsWith('arn:')) return modelId;
  const slash = modelId.lastIndexOf('/');
  const id = slash < 0 ? '' : modelId.slice(slash + 1);
  if (id === '') throw invalidRequest(`modelId: the ARN ${modelId} names no resource id`, 'modelId');
  return id;
}
