import { z } from 'zod';
import type { ChatRequest } from '../../core/chat-request.ts';
import { invalidRequest } from '../../errors/gateway-error.ts';
import { parseAnthropicMessages } from '../anthropic-messages/anthropic-messages-request.ts';
import { groupOfModelId } from '../bedrock-converse/bedrock-model-id.ts';
import type { ChatRouteParams } from '../dialect.ts';
import { isObject } from '../request-bounds.ts';
import { validationError } from '../validation-error.ts';

/** The one Anthropic-on-Bedrock body version. */
export const bedrockAnthropicVersion = 'bedrock-2023-05-31';

/** What an InvokeModel body has beyond a Messages body (without `model` and `stream`). */
const bedrockFields = z.object({
  anthropic_version: z.literal(bedrockAnthropicVersion),
  anthropic_beta: z
    .array(z.string())
    .max(0, { error: 'no beta feature is supported by the gateway' })
    .optional(),
});

/**
 * An InvokeModel / InvokeModelWithResponseStream body for an Anthropic model (the Messages body of
 * Anthropic on Bedrock: `anthropic_version: "bedrock-2023-05-31"`, no `model`, no `stream`) into the
 * canonical request, through the Anthropic dialect's own parser: the group comes from the path's
 * `modelId`, streaming from the route. Throws 400 GatewayErrors naming the field.
 */
export function parseBedrockInvoke(body: unknown, route: ChatRouteParams): ChatRequest {
  if (!isObject(body)) return parseAnthropicMessages(body);
  const bedrock = bedrockFields.safeParse(body);
  if (!bedrock.success) throw validationError(bedrock.error);
  for (const field of ['model', 'stream'] as const) {
    if (field in body)
      throw invalidRequest(
        `${field}: not part of an InvokeModel body (the model and streaming are in the path)`,
        field,
      );
  }
  const { anthropic_version: _version, anthropic_beta: _beta, ...messages } = body;
  return parseAnthropicMessages({
    ...messages,
    model: groupOfModelId(route.model),
    stream: route.stream === true,
  });
}
