import { sampleJsonSchema } from './json-schema-sample.ts';
import { createPrng, hashString, type Prng } from './prng.ts';
import type { SimChatRequest, SimChatResult, SimInputBlock, SimOutputBlock } from './sim-chat.ts';

const vocabulary = (
  'the a system request gateway region model answer simple stream token latency river spillway ' +
  'capacity quota account traffic steady careful signal result value water channel flow route ' +
  'reliable quick light bright calm clear open small large good new first last next other ' +
  'runs carries holds keeps finds moves sends takes gives shows makes brings reaches serves ' +
  'and with for into over under through about around after before near each every'
).split(' ');

/** Estimated tokens of a text (about four characters per token, as the providers' rule of thumb). */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

/** The text a block contributes to the prompt (what token counts and prefixes read). */
export function blockText(block: SimInputBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'tool_use':
      return `${block.name} ${JSON.stringify(block.input)}`;
    case 'tool_result':
      return block.text;
  }
}

/** The prompt's text for the invocation log: system prompt, then each block's text, one per line (first 8 KB). */
export function promptText(request: SimChatRequest): string {
  const lines = request.system === '' ? [] : [request.system];
  for (const message of request.messages) for (const block of message.content) lines.push(blockText(block));
  return lines.join('\n').slice(0, 8192);
}

/** A last user turn starting with this is answered with the rest, verbatim (tests choose an answer's text). */
const repeatPrefix = 'repeat after me:';

/** The text to repeat when the last turn asks for it, else undefined. */
function repeated(lastText: string): string | undefined {
  if (!lastText.toLowerCase().startsWith(repeatPrefix)) return undefined;
  const text = lastText.slice(repeatPrefix.length).trim();
  return text === '' ? undefined : text;
}

/** Input tokens of a request: text of every turn, the system prompt, tool definitions, overheads. */
export function countInputTokens(request: SimChatRequest): number {
  let tokens = countTokens(request.system) + 3;
  for (const message of request.messages) {
    tokens += 4;
    for (const block of message.content) tokens += countTokens(blockText(block));
  }
  for (const tool of request.tools)
    tokens += 10 + countTokens(tool.name + tool.description + JSON.stringify(tool.schema));
  return tokens;
}

function sentence(random: () => number, length: number): string {
  const words: string[] = [];
  for (let index = 0; index < length; index += 1) {
    words.push(vocabulary[Math.floor(random() * vocabulary.length)] ?? 'the');
  }
  const first = words[0] ?? 'The';
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return `${words.join(' ')}.`;
}

/**
 * The simulated model: deterministic for a given seed and request. Answers with a tool call when
 * tools are offered (and tool choice allows) and the last user turn is not a tool result;
 * a last user turn `repeat after me: <text>` with the text verbatim;
 * otherwise with a few sentences, honouring the system prompt, stop sequences and max tokens, or
 * with JSON valid for the requested schema (never cut: a structured answer is whole). Reasons
 * first when asked, within the budget; the reasoning counts as output.
 */
/**
 * The answer as a content filter cuts it (fault `content_filter`): the text up to half way, no tool
 * calls, stop reason `content_filtered` (OpenAI/Azure `content_filter`, Anthropic `refusal`).
 */
export function filteredResult(result: SimChatResult): SimChatResult {
  const text = result.blocks
    .map((block) => (block.type === 'text' ? block.text : ''))
    .join('')
    .split(' ');
  const kept = text.slice(0, Math.floor(text.length / 2)).join(' ');
  return {
    blocks: kept === '' ? [] : [{ type: 'text', text: kept }],
    stopReason: 'content_filtered',
    stopSequence: undefined,
    inputTokens: result.inputTokens,
    outputTokens: countTokens(kept),
  };
}

export function generateChatResult(request: SimChatRequest, seed: number, modelId: string): SimChatResult {
  const answer = generateAnswer(request, seed, modelId);
  if (request.thinking === undefined || request.thinking.budgetTokens <= 0) return answer;
  const reasoning = reasoningText(request, seed, modelId);
  const reasoningTokens = countTokens(reasoning.text);
  return { ...answer, reasoning, reasoningTokens, outputTokens: answer.outputTokens + reasoningTokens };
}

/** The simulated reasoning: a few sentences about the question, within the budget, and a signature. */
function reasoningText(
  request: SimChatRequest,
  seed: number,
  modelId: string,
): { text: string; signature: string } {
  const last = request.messages.at(-1);
  const lastText = last?.content.map(blockText).join(' ') ?? '';
  const hash = hashString(`reasoning\u0000${modelId}\u0000${lastText}`, seed);
  const prng = createPrng(hash);
  const topic = lastText.slice(0, 60).trim();
  const parts = [`The question is about "${topic}".`];
  for (let index = 0; index < 2 + prng.int(2); index += 1)
    parts.push(sentence(() => prng.next(), 6 + prng.int(6)));
  let text = parts.join(' ');
  const budgetCharacters = (request.thinking?.budgetTokens ?? 0) * 4;
  if (text.length > budgetCharacters) text = text.slice(0, budgetCharacters);
  const signature = Buffer.from(`sim-signature:${modelId}:${hash.toString(16)}`).toString('base64');
  return { text, signature };
}

/** JSON for a response format: a sample valid for the schema, or a small object for json_object. */
function jsonAnswer(request: SimChatRequest, prng: Prng): string | undefined {
  const format = request.responseFormat;
  if (format === undefined) return undefined;
  if (format.type === 'json_schema') return JSON.stringify(sampleJsonSchema(format.schema, prng));
  return JSON.stringify({ answer: sentence(() => prng.next(), 6) });
}

function generateAnswer(request: SimChatRequest, seed: number, modelId: string): SimChatResult {
  const inputTokens = countInputTokens(request);
  const last = request.messages.at(-1);
  const lastText = last?.content.map(blockText).join('\n') ?? '';
  const prng = createPrng(hashString(`${modelId}\u0000${request.system}\u0000${lastText}`, seed));
  const answeringToolResult =
    last?.role === 'user' && last.content.some((block) => block.type === 'tool_result');
  if (request.tools.length > 0 && request.toolChoice.type !== 'none' && !answeringToolResult) {
    const choice = request.toolChoice;
    const tool =
      (choice.type === 'tool'
        ? request.tools.find((candidate) => candidate.name === choice.name)
        : undefined) ?? request.tools[0];
    if (tool !== undefined) {
      const sampled = sampleJsonSchema(tool.schema, prng);
      const input =
        typeof sampled === 'object' && sampled !== null && !Array.isArray(sampled)
          ? (sampled as Record<string, unknown>)
          : {};
      const inputJson = JSON.stringify(input);
      const id = `tooluse_${prng.uuid().replaceAll('-', '').slice(0, 22)}`;
      const block: SimOutputBlock = { type: 'tool_use', id, name: tool.name, input, inputJson };
      return {
        blocks: [block],
        stopReason: 'tool_use',
        stopSequence: undefined,
        inputTokens,
        outputTokens: 12 + countTokens(inputJson),
      };
    }
  }
  const echo = last?.role === 'user' ? repeated(lastText) : undefined;
  if (echo !== undefined) {
    return {
      blocks: [{ type: 'text', text: echo }],
      stopReason: 'end_turn',
      stopSequence: undefined,
      inputTokens,
      outputTokens: Math.max(1, countTokens(echo)),
    };
  }
  const json = jsonAnswer(request, prng);
  if (json !== undefined) {
    return {
      blocks: [{ type: 'text', text: json }],
      stopReason: 'end_turn',
      stopSequence: undefined,
      inputTokens,
      outputTokens: Math.max(1, countTokens(json)),
    };
  }
  const brief = /\b(brief|concise|short|one sentence)\b/i.test(request.system);
  const sentences = brief ? 1 : 2 + prng.int(3);
  const parts: string[] = [];
  if (answeringToolResult) parts.push('Based on the tool result, here is the answer.');
  for (let index = 0; index < sentences; index += 1) parts.push(sentence(() => prng.next(), 6 + prng.int(9)));
  let text = parts.join(' ');
  let stopReason: SimChatResult['stopReason'] = 'end_turn';
  let stopSequence: string | undefined;
  let cut = text.length;
  for (const candidate of request.stopSequences) {
    const at = candidate === '' ? -1 : text.indexOf(candidate);
    if (at >= 0 && at < cut) {
      cut = at;
      stopSequence = candidate;
    }
  }
  if (stopSequence !== undefined) {
    text = text.slice(0, cut);
    stopReason = 'stop_sequence';
  }
  let words = text.split(' ').filter((word) => word !== '');
  if (request.maxTokens !== undefined && words.length > request.maxTokens) {
    words = words.slice(0, request.maxTokens);
    text = words.join(' ');
    stopReason = 'max_tokens';
    stopSequence = undefined;
  }
  const outputTokens = Math.max(words.length, text === '' ? 0 : 1);
  return { blocks: [{ type: 'text', text }], stopReason, stopSequence, inputTokens, outputTokens };
}

/** A text cut into stream deltas of one to three words each, with their token counts. */
export function chunkText(text: string): { text: string; tokens: number }[] {
  const words = text.split(' ');
  const chunks: { text: string; tokens: number }[] = [];
  let index = 0;
  while (index < words.length) {
    const size = 1 + (index % 3);
    const slice = words.slice(index, index + size);
    chunks.push({ text: (index === 0 ? '' : ' ') + slice.join(' '), tokens: slice.length });
    index += size;
  }
  return chunks.filter((chunk) => chunk.text !== '');
}

/** A JSON string cut into stream pieces of at most `size` characters. */
export function chunkJson(json: string, size = 24): string[] {
  const pieces: string[] = [];
  for (let index = 0; index < json.length; index += size) pieces.push(json.slice(index, index + size));
  return pieces.length === 0 ? ['{}'] : pieces;
}

/** Coordinates each word adds to (with a random sign): sparse random projections, near-orthogonal per word. */
const wordSpread = 8;

/**
 * A deterministic unit-length embedding of `text`, similarity-meaningful: a hashed bag of words.
 * Each lower-cased word adds ±1 at `wordSpread` coordinates chosen by its hash (and the seed), so
 * texts sharing most of their words are close (one word changed in twenty: cosine ≈ 0.95) and
 * unrelated texts near orthogonal. Linear in the text. A text without words gets a random vector
 * of its hash (as before).
 */
export function generateEmbedding(text: string, dimensions: number, seed: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) {
    const prng = createPrng(hashString(text, seed));
    for (let index = 0; index < dimensions; index += 1) vector[index] = prng.next() * 2 - 1;
  }
  for (const word of words) {
    const prng = createPrng(hashString(word, seed));
    for (let spread = 0; spread < wordSpread; spread += 1) {
      const index = Math.floor(prng.next() * dimensions);
      vector[index] = (vector[index] ?? 0) + (prng.next() < 0.5 ? -1 : 1);
    }
  }
  let norm = 0;
  for (let index = 0; index < dimensions; index += 1) norm += (vector[index] ?? 0) ** 2;
  const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm);
  for (let index = 0; index < dimensions; index += 1) vector[index] = (vector[index] ?? 0) * scale;
  return vector;
}
