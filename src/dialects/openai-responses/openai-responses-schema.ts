import { z } from 'zod';

// The subset of the OpenAI Responses API request body (POST /v1/responses) the gateway understands,
// as the openai SDK's `ResponseCreateParams` types it (node_modules/openai/resources/responses/).
// Unknown fields are ignored, as in the Chat Completions dialect; fields the gateway knows but cannot
// honour are refused by openai-responses-request.ts with a 400 naming them.

const nullishString = z.string().nullish();

/** OpenAI's explicit prompt-cache breakpoint on an input part (the prefix up to it may be cached). */
const cacheBreakpoint = z.object({ mode: z.literal('explicit') }).nullish();
const inputText = z.object({
  type: z.literal('input_text'),
  text: z.string(),
  prompt_cache_breakpoint: cacheBreakpoint,
});
const inputImage = z.object({
  type: z.literal('input_image'),
  prompt_cache_breakpoint: cacheBreakpoint,
  image_url: nullishString,
  file_id: nullishString,
  detail: z.enum(['low', 'high', 'auto', 'original']).nullish(),
});
const inputFile = z.object({
  type: z.literal('input_file'),
  file_id: nullishString,
  file_url: nullishString,
  file_data: nullishString,
  filename: nullishString,
});
const outputText = z.object({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.unknown()).nullish(),
});
const refusal = z.object({ type: z.literal('refusal'), refusal: z.string() });

/** A content part of a message item (user parts and assistant parts; the role decides which are allowed). */
export const contentPart = z.discriminatedUnion('type', [
  inputText,
  inputImage,
  inputFile,
  outputText,
  refusal,
]);
export type ContentPart = z.infer<typeof contentPart>;

const itemStatus = z.enum(['in_progress', 'completed', 'incomplete']).nullish();

const messageItem = z.object({
  type: z.literal('message'),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPart)]),
  id: nullishString,
  status: itemStatus,
});
const functionCallItem = z.object({
  type: z.literal('function_call'),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  id: nullishString,
  status: itemStatus,
});
const functionCallOutputItem = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string(),
  output: z.union([z.string(), z.array(z.discriminatedUnion('type', [inputText, inputImage, inputFile]))]),
  id: nullishString,
  status: itemStatus,
});
const reasoningItem = z.object({
  type: z.literal('reasoning'),
  id: nullishString,
  summary: z.array(z.object({ type: z.literal('summary_text'), text: z.string() })),
  content: z.array(z.object({ type: z.literal('reasoning_text'), text: z.string() })).nullish(),
  encrypted_content: nullishString,
  status: itemStatus,
});
const itemReference = z.object({ type: z.literal('item_reference'), id: z.string() });

/** An input item; a message may omit `type` (the SDK's EasyInputMessage), which reads as `message`. */
export const inputItem = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && !('type' in value)
      ? { ...value, type: 'message' }
      : value,
  z.discriminatedUnion('type', [
    messageItem,
    functionCallItem,
    functionCallOutputItem,
    reasoningItem,
    itemReference,
  ]),
);
export type InputItem = z.infer<typeof inputItem>;

const functionTool = z.object({
  type: z.literal('function'),
  name: z.string().min(1),
  description: nullishString,
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type FunctionTool = z.infer<typeof functionTool>;

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), name: z.string() }),
]);
export type ResponsesToolChoice = z.infer<typeof toolChoice>;

const textFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string(),
    schema: z.record(z.string(), z.unknown()),
    description: nullishString,
    strict: z.boolean().nullish(),
  }),
]);
export type TextFormat = z.infer<typeof textFormat>;

const reasoningEffort = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);

/** The Responses request body. */
export const responsesBody = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputItem)]),
  instructions: nullishString,
  tools: z.array(functionTool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z
    .object({ format: textFormat.nullish(), verbosity: z.enum(['low', 'medium', 'high']).nullish() })
    .nullish(),
  reasoning: z
    .object({
      effort: reasoningEffort.nullish(),
      summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
    })
    .nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: nullishString,
  safety_identifier: nullishString,
  prompt_cache_key: nullishString,
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  previous_response_id: nullishString,
  include: z.array(z.string()).nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  top_logprobs: z.number().int().nullish(),
  background: z.boolean().nullish(),
  service_tier: nullishString,
});
export type ResponsesBody = z.infer<typeof responsesBody>;
