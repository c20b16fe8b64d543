import { z } from 'zod';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError, invalidRequest, isGatewayError } from '../../errors/gateway-error.ts';
import { parseBedrockInvoke } from '../bedrock-invoke/bedrock-invoke-request.ts';
import type { ChatRouteParams, TokenCountCodec } from '../dialect.ts';
import { validationError } from '../validation-error.ts';
import { parseConverse } from './bedrock-converse-request.ts';

/** CountTokens: `{"input": {"converse": <Converse body>}}` or `{"input": {"invokeModel": {"body": <blob>}}}`. */
const countTokensBody = z.strictObject({
  input: z.strictObject({
    converse: z.record(z.string(), z.unknown()).optional(),
    invokeModel: z.strictObject({ body: z.string() }).optional(),
  }),
});

/** Runs a parser on a nested body, naming the fields of its 400s by their full path. */
function nested(prefix: string, parse: () => ChatRequest): ChatRequest {
  try {
    return parse();
  } catch (error) {
    if (!isGatewayError(error) || error.param === undefined) throw error;
    const param = `${prefix}.${error.param}`;
    throw new GatewayError(`${prefix}.${error.message}`, { code: error.code, param });
  }
}

/** The canonical request a CountTokens body counts; the group from the path's `modelId`. */
export function parseBedrockCountTokens(body: unknown, route: ChatRouteParams): ChatRequest {
  const parsed = countTokensBody.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  const { converse, invokeModel } = parsed.data.input;
  const params = { model: route.model, stream: false };
  if (converse !== undefined && invokeModel === undefined)
    return nested('input.converse', () => parseConverse(converse, params));
  if (invokeModel === undefined || converse !== undefined)
    throw invalidRequest('input: give exactly one of converse and invokeModel', 'input');
  // The blob is base64 on the wire: the model-native body (Anthropic's, for the gateway).
  let native: unknown;
  try {
    native = JSON.parse(Buffer.from(invokeModel.body, 'base64').toString('utf8'));
  } catch {
    throw invalidRequest('input.invokeModel.body: not a JSON body', 'input.invokeModel.body');
  }
  return nested('input.invokeModel.body', () => parseBedrockInvoke(native, params));
}

/** CountTokens on the Converse dialect's path (`POST /model/{modelId}/count-tokens`). */
export const bedrockCountTokens: TokenCountCodec = {
  parse: parseBedrockCountTokens,
  render: (inputTokens) => `{"inputTokens":${inputTokens}}`,
};
