/**
 * The canonical chat request: what every client dialect parses into and every provider adapter
 * translates from. Pure data; no behaviour.
 */

/** Plain text. */
export interface TextPart {
  readonly type: 'text';
  readonly text: string;
}

/** An image given inline (clients send data URLs; the data is the base64 payload without the prefix). */
export interface ImagePart {
  readonly type: 'image';
  /** e.g. image/png, image/jpeg, image/gif, image/webp */
  readonly mediaType: string;
  /** base64 of the image bytes */
  readonly data: string;
}

/** A tool call made by the assistant. */
export interface ToolCallPart {
  readonly type: 'tool_call';
  readonly id: string;
  readonly name: string;
  /** The arguments as JSON text, exactly as the model produced them. */
  readonly arguments: string;
}

/** The result of a tool call, sent back by the client in a user turn. */
export interface ToolResultPart {
  readonly type: 'tool_result';
  readonly toolCallId: string;
  readonly content: string;
  readonly isError?: boolean | undefined;
}

export type UserPart = TextPart | ImagePart | ToolResultPart;
export type AssistantPart = TextPart | ToolCallPart;

/**
 * A turn. Tool results live in user turns (as Bedrock and Anthropic have them); the OpenAI dialect
 * maps its `role: "tool"` messages onto them and back.
 */
export type ChatMessage =
  | { readonly role: 'user'; readonly content: readonly UserPart[] }
  | { readonly role: 'assistant'; readonly content: readonly AssistantPart[] };

/** A function the model may call. */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string | undefined;
  /** JSON Schema of the arguments object. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

export type ToolChoice =
  | { readonly type: 'auto' }
  | { readonly type: 'none' }
  | { readonly type: 'required' }
  | { readonly type: 'tool'; readonly name: string };

export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | {
      readonly type: 'json_schema';
      readonly name: string;
      readonly schema: Readonly<Record<string, unknown>>;
      readonly strict?: boolean | undefined;
    };

/** The canonical chat request. `model` is the model group the client asked for. */
export interface ChatRequest {
  readonly model: string;
  readonly system?: string | undefined;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number | undefined;
  readonly temperature?: number | undefined;
  readonly topP?: number | undefined;
  readonly stop?: readonly string[] | undefined;
  readonly tools?: readonly ToolDefinition[] | undefined;
  readonly toolChoice?: ToolChoice | undefined;
  readonly responseFormat?: ResponseFormat | undefined;
  readonly stream: boolean;
  /** End-user id from the client, if it sent one (OpenAI `user`, Anthropic `metadata.user_id`). */
  readonly user?: string | undefined;
}
