import type {
  AssistantPart,
  ChatMessage,
  ChatRequest,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
  UserPart,
} from '../../core/chat-request.ts';
import { exceedsJsonDepth, maxJsonDepth } from '../../core/json-depth.ts';
import { invalidRequest } from '../../errors/gateway-error.ts';

/**
 * Canonical request → Bedrock Converse / ConverseStream body (protocols.md 1.2; AWS API reference
 * API_runtime_Converse). The model id goes in the path, never in the body.
 */

/** One Converse content block (single-key union on the wire). */
export type ConverseContentBlock =
  | { readonly text: string }
  | { readonly image: { readonly format: string; readonly source: { readonly bytes: string } } }
  | {
      readonly toolUse: { readonly toolUseId: string; readonly name: string; readonly input: unknown };
    }
  | {
      readonly toolResult: {
        readonly toolUseId: string;
        readonly content: readonly { readonly text: string }[];
        readonly status?: 'error';
      };
    }
  | {
      readonly reasoningContent:
        | { readonly reasoningText: { readonly text: string; readonly signature?: string } }
        | { readonly redactedContent: string };
    };

export interface ConverseMessage {
  readonly role: 'user' | 'assistant';
  readonly content: ConverseContentBlock[];
}

export interface ConverseRequestBody {
  readonly messages: ConverseMessage[];
  readonly system?: { readonly text: string }[];
  readonly inferenceConfig?: {
    maxTokens?: number;
    temperature?: number;
    topP?: number;
    stopSequences?: string[];
  };
  readonly toolConfig?: {
    readonly tools: { readonly toolSpec: ConverseToolSpec }[];
    readonly toolChoice?: { auto: object } | { any: object } | { tool: { name: string } };
  };
}

interface ConverseToolSpec {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: { readonly json: Readonly<Record<string, unknown>> };
}

const imageFormats: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** Builds the Converse body. Throws an invalid_request GatewayError for what Bedrock cannot express. */
export function toConverseRequest(request: ChatRequest): ConverseRequestBody {
  const system = systemBlocks(request.system, request.responseFormat);
  const inferenceConfig = inferenceConfigOf(request);
  const toolConfig = toolConfigOf(request.tools, request.toolChoice);
  return {
    messages: toConverseMessages(request.messages),
    ...(system.length > 0 ? { system } : {}),
    ...(inferenceConfig === undefined ? {} : { inferenceConfig }),
    ...(toolConfig === undefined ? {} : { toolConfig }),
  };
}

function toConverseMessages(messages: readonly ChatMessage[]): ConverseMessage[] {
  const result: ConverseMessage[] = [];
  for (const message of messages) {
    const content =
      message.role === 'user' ? message.content.map(userBlock) : message.content.map(assistantBlock);
    const previous = result.at(-1);
    // Converse requires alternating roles; the OpenAI dialect yields tool results and the next user
    // text as two user turns, so consecutive turns of one role are merged.
    // One push per block: spreading a huge array into push() overflows the argument stack.
    if (previous?.role === message.role) for (const block of content) previous.content.push(block);
    else result.push({ role: message.role, content });
  }
  return result;
}

function userBlock(part: UserPart): ConverseContentBlock {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image': {
      const format = imageFormats[part.mediaType.toLowerCase()];
      if (format === undefined) {
        throw invalidRequest(`image type ${part.mediaType} is not supported by Bedrock`, 'messages');
      }
      return { image: { format, source: { bytes: part.data } } };
    }
    case 'tool_result':
      return {
        toolResult: {
          toolUseId: part.toolCallId,
          content: [{ text: part.content }],
          // `status` is only accepted by some model families; send it only when it carries news.
          ...(part.isError === true ? { status: 'error' as const } : {}),
        },
      };
  }
}

function assistantBlock(part: AssistantPart): ConverseContentBlock {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'tool_call':
      return { toolUse: { toolUseId: part.id, name: part.name, input: parseArguments(part) } };
    case 'reasoning':
      return {
        reasoningContent: {
          reasoningText:
            part.signature === undefined
              ? { text: part.text }
              : { text: part.text, signature: part.signature },
        },
      };
    case 'redacted_reasoning':
      return { reasoningContent: { redactedContent: part.data } };
  }
}

function parseArguments(part: { readonly name: string; readonly arguments: string }): unknown {
  if (part.arguments.trim() === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(part.arguments) as unknown;
  } catch {
    throw invalidRequest(`arguments of tool call ${part.name} are not valid JSON`, 'messages');
  }
  // The body is serialized recursively: a deeper value would overflow the stack there.
  if (exceedsJsonDepth(input, maxJsonDepth)) {
    throw invalidRequest(
      `arguments of tool call ${part.name} nest more than ${maxJsonDepth} levels deep`,
      'messages',
    );
  }
  return input;
}

function systemBlocks(system: string | undefined, format: ResponseFormat | undefined): { text: string }[] {
  const blocks: { text: string }[] = [];
  if (system !== undefined && system !== '') blocks.push({ text: system });
  const instruction = jsonInstruction(format);
  if (instruction !== undefined) blocks.push({ text: instruction });
  return blocks;
}

/**
 * Converse has no JSON mode, so a JSON response format is emulated with a system instruction. The
 * model usually complies; nothing here validates the output.
 */
function jsonInstruction(format: ResponseFormat | undefined): string | undefined {
  if (format === undefined) return undefined;
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return 'Respond with one valid JSON object and nothing else: no prose, no code fences.';
    case 'json_schema':
      return (
        `Respond with one valid JSON object named "${format.name}" that conforms to this JSON Schema, ` +
        `and nothing else: no prose, no code fences.\n${JSON.stringify(format.schema)}`
      );
  }
}

function inferenceConfigOf(request: ChatRequest): ConverseRequestBody['inferenceConfig'] {
  const config: NonNullable<ConverseRequestBody['inferenceConfig']> = {};
  if (request.maxTokens !== undefined) config.maxTokens = request.maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) config.stopSequences = [...request.stop];
  return Object.keys(config).length > 0 ? config : undefined;
}

function toolConfigOf(
  tools: readonly ToolDefinition[] | undefined,
  choice: ToolChoice | undefined,
): ConverseRequestBody['toolConfig'] {
  // `none` has no Converse equivalent: the tools are left out so the model cannot call them.
  if (tools === undefined || tools.length === 0 || choice?.type === 'none') return undefined;
  const specs = tools.map((tool) => ({
    toolSpec: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      inputSchema: { json: tool.parameters },
    },
  }));
  if (choice === undefined) return { tools: specs };
  switch (choice.type) {
    case 'auto':
      return { tools: specs, toolChoice: { auto: {} } };
    case 'required':
      return { tools: specs, toolChoice: { any: {} } };
    case 'tool':
      return { tools: specs, toolChoice: { tool: { name: choice.name } } };
  }
}
