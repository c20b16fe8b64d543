import type { ReasoningPart, RedactedReasoningPart } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { Usage } from '../../core/usage.ts';
import type { ParsedChat } from '../dialect.ts';

/** The request fields a Responses API response object echoes back (set by the request parser). */
// A type alias, not an interface: it must fit ParsedChat's `echo` record.
export type ResponseEcho = {
  readonly instructions: string | null;
  readonly max_output_tokens: number | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly parallel_tool_calls: boolean;
  readonly reasoning: { readonly effort: string | null; readonly summary: string | null };
  readonly temperature: number;
  readonly text: { readonly format: unknown; readonly verbosity: string };
  readonly tool_choice: unknown;
  readonly tools: readonly unknown[];
  readonly top_p: number;
  readonly user: string | null;
};

/** The echo of a request that sent none of the fields (a parse by another dialect, or none). */
const defaultEcho: ResponseEcho = {
  instructions: null,
  max_output_tokens: null,
  metadata: {},
  parallel_tool_calls: true,
  reasoning: { effort: null, summary: null },
  temperature: 1,
  text: { format: { type: 'text' }, verbosity: 'medium' },
  tool_choice: 'auto',
  tools: [],
  top_p: 1,
  user: null,
};

/** The echo the parser stored on a parsed request, else the defaults. */
export function echoOf(parsed: ParsedChat | undefined): ResponseEcho {
  return (parsed?.echo as ResponseEcho | undefined) ?? defaultEcho;
}

/** Why a response is `incomplete` (Responses `incomplete_details.reason`), or null when it completed. */
export function incompleteReason(reason: StopReason): 'max_output_tokens' | 'content_filter' | null {
  switch (reason) {
    case 'max_tokens':
    case 'context_window_exceeded':
      return 'max_output_tokens';
    case 'content_filter':
      return 'content_filter';
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
      return null;
  }
}

/** Responses usage: input_tokens counts every input token, cache reads and writes included. */
export function responsesUsage(usage: Usage): {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
} {
  const cached = usage.cacheReadInputTokens ?? 0;
  const written = usage.cacheWriteInputTokens ?? 0;
  const input = usage.inputTokens + cached + written;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached, cache_write_tokens: written },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: input + usage.outputTokens,
  };
}

/** The id of the output item at `outputIndex` of response `responseId` (`msg_…`, `fc_…`, `rs_…`). */
export function itemId(kind: 'msg' | 'fc' | 'rs', responseId: string, outputIndex: number): string {
  return `${kind}_${outputIndex}_${responseId}`;
}

/** An output_text content part. */
export function outputTextPart(text: string): unknown {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

/** A message output item holding one output_text part (`text` undefined: no part yet). */
export function messageItem(id: string, status: string, text: string | undefined): unknown {
  const content = text === undefined ? [] : [outputTextPart(text)];
  return { id, type: 'message', status, role: 'assistant', content };
}

/** A function_call output item. */
export function functionCallItem(
  id: string,
  status: string,
  call: { readonly id: string; readonly name: string; readonly arguments: string },
): unknown {
  return { id, type: 'function_call', status, call_id: call.id, name: call.name, arguments: call.arguments };
}

// A reasoning item's `encrypted_content` is opaque to clients, which send the item back unchanged in
// the next turn's input: it carries the upstream's signature of the reasoning text (Anthropic, Bedrock)
// or the whole of a redacted reasoning block, so the round trip reaches the upstream intact.
const signaturePrefix = 'spillway.signature:';
const redactedPrefix = 'spillway.redacted:';

/** A reasoning output item: the text as its one summary part, the signature or redacted data encoded. */
export function reasoningItem(
  id: string,
  status: string,
  part: ReasoningPart | RedactedReasoningPart,
): Record<string, unknown> {
  if (part.type === 'redacted_reasoning')
    return { id, type: 'reasoning', status, summary: [], encrypted_content: redactedPrefix + part.data };
  return {
    id,
    type: 'reasoning',
    status,
    summary: [summaryPart(part.text)],
    encrypted_content: part.signature === undefined ? null : signaturePrefix + part.signature,
  };
}

/** A reasoning summary part. */
export function summaryPart(text: string): { type: 'summary_text'; text: string } {
  return { type: 'summary_text', text };
}

/**
 * The canonical part of a reasoning item a client sent back. `encrypted_content` this gateway did not
 * write (another service's) means nothing to any upstream: the text is kept, unsigned.
 */
export function reasoningPartOf(
  text: string,
  encrypted: string | null | undefined,
): ReasoningPart | RedactedReasoningPart {
  if (encrypted?.startsWith(redactedPrefix) === true)
    return { type: 'redacted_reasoning', data: encrypted.slice(redactedPrefix.length) };
  const signature =
    encrypted?.startsWith(signaturePrefix) === true ? encrypted.slice(signaturePrefix.length) : undefined;
  return { type: 'reasoning', text, signature };
}

/** What the response object carries beyond the echo. */
export interface ResponseState {
  readonly id: string;
  /** The group the client asked for. */
  readonly model: string;
  /** Epoch seconds. */
  readonly created: number;
  readonly status: 'in_progress' | 'completed' | 'incomplete';
  readonly output: readonly unknown[];
  readonly stopReason?: StopReason | undefined;
  readonly usage?: Usage | undefined;
}

/** The response object (`object: "response"`), as complete answers and stream lifecycle events carry it. */
export function responseObject(state: ResponseState, echo: ResponseEcho): Record<string, unknown> {
  const reason = state.stopReason === undefined ? null : incompleteReason(state.stopReason);
  return {
    id: state.id,
    object: 'response',
    created_at: state.created,
    status: state.status,
    background: false,
    error: null,
    incomplete_details: reason === null ? null : { reason },
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    model: state.model,
    output: state.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: null,
    reasoning: echo.reasoning,
    service_tier: 'default',
    store: false,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    truncation: 'disabled',
    usage: state.usage === undefined ? null : responsesUsage(state.usage),
    user: echo.user,
    metadata: echo.metadata,
  };
}

/**
 * The JSON text of a complete answer: each text part a message item, each tool call a function_call
 * item, each reasoning part a reasoning item, in the canonical order; `incomplete` with its reason when the output was cut short.
 */
export function renderOpenaiResponse(
  response: ChatResponse,
  model: string,
  created: number,
  parsed?: ParsedChat,
): string {
  const incomplete = incompleteReason(response.stopReason) !== null;
  const output: unknown[] = [];
  const last = response.content.length - 1;
  for (const part of response.content) {
    // The item the output was cut in is `incomplete`; the ones before it completed.
    const itemStatus = incomplete && output.length === last ? 'incomplete' : 'completed';
    if (part.type === 'text') {
      output.push(messageItem(itemId('msg', response.id, output.length), itemStatus, part.text));
    } else if (part.type === 'reasoning' || part.type === 'redacted_reasoning') {
      output.push(reasoningItem(itemId('rs', response.id, output.length), itemStatus, part));
    } else {
      output.push(functionCallItem(itemId('fc', response.id, output.length), itemStatus, part));
    }
  }
  const state: ResponseState = {
    id: response.id,
    model,
    created,
    status: incomplete ? 'incomplete' : 'completed',
    output,
    stopReason: response.stopReason,
    usage: response.usage,
  };
  return JSON.stringify(responseObject(state, echoOf(parsed)));
}
