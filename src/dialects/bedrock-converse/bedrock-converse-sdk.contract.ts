import {
  type BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseCommandOutput,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import type { StopReason } from '../../core/chat-response.ts';
import type { DialectContractSubject, SdkAnswer, SdkReasoning } from '../dialect.contract.ts';
import {
  bedrockClient,
  bedrockErrorClassFor,
  bedrockErrorTypes,
  readBedrockError,
} from './__fixtures__/bedrock-sdk.ts';
import plainBody from './__fixtures__/converse-request-plain.json' with { type: 'json' };
import toolsBody from './__fixtures__/converse-request-tools.json' with { type: 'json' };
import { bedrockConverseDialect } from './bedrock-converse-dialect.ts';

type Content = NonNullable<NonNullable<ConverseCommandOutput['output']>['message']>['content'];
type TokenUsage = ConverseCommandOutput['usage'];

function usageOf(usage: TokenUsage): SdkAnswer['usage'] {
  if (usage === undefined) return undefined;
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.totalTokens,
    cacheReadInputTokens: usage.cacheReadInputTokens,
    cacheWriteInputTokens: usage.cacheWriteInputTokens,
  };
}

/**
 * A tool input as JSON reads it: the SDK parses document numbers beyond 2^53 as bigint, which
 * JSON.parse (the contract's expectation) reads as the nearest double.
 */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  return value;
}

function read(content: Content, stopReason: string | undefined, usage: TokenUsage): SdkAnswer {
  let text = '';
  const toolCalls: { id: string; name: string; input: unknown }[] = [];
  const reasoning: SdkReasoning[] = [];
  for (const block of content ?? []) {
    if (block.text !== undefined) text += block.text;
    else if (block.toolUse !== undefined)
      toolCalls.push({
        id: block.toolUse.toolUseId ?? '',
        name: block.toolUse.name ?? '',
        input: plain(block.toolUse.input),
      });
    else if (block.reasoningContent?.reasoningText !== undefined)
      reasoning.push({
        text: block.reasoningContent.reasoningText.text ?? '',
        signature: block.reasoningContent.reasoningText.signature,
      });
    else if (block.reasoningContent?.redactedContent !== undefined)
      reasoning.push({ redacted: redactedData(block.reasoningContent.redactedContent) });
    else throw new Error(`unexpected content block ${Object.keys(block).join(',')}`);
  }
  // Converse has no message id, model or stop sequence in its answer.
  return {
    id: undefined,
    model: undefined,
    text,
    toolCalls,
    reasoning,
    stopReason: stopReason ?? null,
    stopSequence: undefined,
    usage: usageOf(usage),
  };
}

/**
 * The canonical data of a redacted blob, inverting the dialect's rule: bytes that are the UTF-8 text
 * of a string that is not base64 were that string; any other bytes are kept as their base64.
 */
function redactedData(bytes: Uint8Array): string {
  const asText = Buffer.from(bytes).toString('utf8');
  const base64 = Buffer.from(bytes).toString('base64');
  return /^[A-Za-z0-9+/]+$/.test(asText) && asText.length % 4 !== 0 ? asText : base64;
}

/** One content block being put together from ConverseStream deltas. */
interface StreamedBlock {
  text?: string;
  toolUse?: { toolUseId: string; name: string; input: string };
  reasoning?: { text: string; signature?: string };
  redacted?: Uint8Array;
}

function finishBlock(block: StreamedBlock): NonNullable<Content>[number] {
  if (block.toolUse !== undefined) {
    const input = block.toolUse.input === '' ? '{}' : block.toolUse.input;
    return { toolUse: { ...block.toolUse, input: JSON.parse(input) as never } };
  }
  if (block.reasoning !== undefined) return { reasoningContent: { reasoningText: block.reasoning } };
  if (block.redacted !== undefined) return { reasoningContent: { redactedContent: block.redacted } };
  return { text: block.text ?? '' };
}

/** What ConverseStream's events add up to (the SDK has no accumulating helper). */
async function accumulate(stream: AsyncIterable<ConverseStreamOutput>): Promise<SdkAnswer> {
  const blocks = new Map<number, StreamedBlock>();
  let stopReason: string | undefined;
  let usage: TokenUsage;
  for await (const event of stream) {
    if (event.contentBlockStart?.start?.toolUse !== undefined) {
      const start = event.contentBlockStart.start.toolUse;
      blocks.set(event.contentBlockStart.contentBlockIndex ?? 0, {
        toolUse: { toolUseId: start.toolUseId ?? '', name: start.name ?? '', input: '' },
      });
    } else if (event.contentBlockDelta !== undefined) {
      const index = event.contentBlockDelta.contentBlockIndex ?? 0;
      const delta = event.contentBlockDelta.delta;
      const block = blocks.get(index) ?? {};
      if (delta?.text !== undefined) block.text = (block.text ?? '') + delta.text;
      if (delta?.toolUse?.input !== undefined && block.toolUse !== undefined)
        block.toolUse.input += delta.toolUse.input;
      const thought = delta?.reasoningContent;
      if (thought?.redactedContent !== undefined) block.redacted = thought.redactedContent;
      if (thought?.text !== undefined || thought?.signature !== undefined) {
        block.reasoning ??= { text: '' };
        block.reasoning.text += thought.text ?? '';
        if (thought.signature !== undefined) block.reasoning.signature = thought.signature;
      }
      blocks.set(index, block);
    } else if (event.messageStop !== undefined) stopReason = event.messageStop.stopReason;
    else if (event.metadata !== undefined) usage = event.metadata.usage;
  }
  const content: Content = [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, block]) => finishBlock(block));
  return read(content, stopReason, usage);
}

const stopReasons: Record<StopReason, string> = {
  end_turn: 'end_turn',
  stop_sequence: 'stop_sequence',
  max_tokens: 'max_tokens',
  context_window_exceeded: 'model_context_window_exceeded',
  tool_use: 'tool_use',
  content_filter: 'content_filtered',
};

/** The Bedrock Converse dialect driven through @aws-sdk/client-bedrock-runtime with a bearer token. */
export const contractSubject: DialectContractSubject = {
  dialect: bedrockConverseDialect,
  async chat(origin, model, stream) {
    const client: BedrockRuntimeClient = bedrockClient(origin, 'sk-contract');
    const input = { modelId: model, messages: [{ role: 'user' as const, content: [{ text: 'hello' }] }] };
    if (!stream) {
      const output = await client.send(new ConverseCommand(input));
      return read(output.output?.message?.content, output.stopReason, output.usage);
    }
    const output = await client.send(new ConverseStreamCommand(input));
    if (output.stream === undefined) throw new Error('no stream');
    return accumulate(output.stream);
  },
  listModels: () => undefined,
  embed: () => undefined,
  embeddingsBodies: [],
  apiErrorClass: BedrockRuntimeServiceException,
  errorClassFor: bedrockErrorClassFor,
  readError: readBedrockError,
  errorTypes: bedrockErrorTypes,
  stopReasons,
  expectedUsage: (usage) => {
    const read = usage.cacheReadInputTokens ?? 0;
    const write = usage.cacheWriteInputTokens ?? 0;
    return {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.inputTokens + usage.outputTokens + read + write,
      cacheReadInputTokens: read,
      cacheWriteInputTokens: write,
    };
  },
  chatBodies: [toolsBody, plainBody],
  freeFormPaths: [
    'toolConfig.tools[*].toolSpec.inputSchema.json',
    'messages[*].content[*].toolUse.input',
    'messages[*].content[*].toolResult.content[*].json',
    'requestMetadata',
  ],
  chatRouteParams: { model: 'group-x', stream: false },
};
