import { anthropicMessagesDialect } from './anthropic-messages/anthropic-messages-dialect.ts';
import type { Dialect } from './dialect.ts';
import { openaiChatDialect } from './openai-chat/openai-chat-dialect.ts';
import { openaiResponsesDialect } from './openai-responses/openai-responses-dialect.ts';
import { bedrockConverseDialect } from './bedrock-converse/bedrock-converse-dialect.ts';
import { bedrockInvokeDialect } from './bedrock-invoke/bedrock-invoke-dialect.ts';

/**
 * Every client API the gateway speaks, in the order the edge tries their claims: the first is the
 * default, answering requests no dialect claims (errors on unknown paths, a shared GET /v1/models).
 * A new client API is a new folder under src/dialects/ and one line here.
 */
export const dialects: readonly Dialect[] = [
  openaiChatDialect,
  anthropicMessagesDialect,
  openaiResponsesDialect,
  bedrockConverseDialect,
  bedrockInvokeDialect,
];
