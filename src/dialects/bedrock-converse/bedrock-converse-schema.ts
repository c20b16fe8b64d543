import { z } from 'zod';

// Converse content blocks are single-key unions on the wire. Each is a strict object whose members
// are all optional, with a check that exactly one is set: a member the gateway cannot carry
// (document, video, guardContent, ...) is an unrecognized key, refused with its own path, and a
// wrong type inside a member is reported at that member's field.

function oneMember(block: Record<string, unknown>, context: z.RefinementCtx): void {
  let members = 0;
  for (const key in block) if (block[key] !== undefined) members += 1;
  if (members !== 1)
    context.addIssue({ code: 'custom', message: `a content block has exactly one member (got ${members})` });
}

/** `{cachePoint: {type: "default"}}`: the prompt up to the block before it may be cached. */
export const cachePoint = z.strictObject({
  type: z.literal('default'),
  ttl: z.enum(['5m', '1h']).optional(),
});

const imageBlock = z.strictObject({
  format: z.enum(['png', 'jpeg', 'gif', 'webp']),
  source: z.strictObject({ bytes: z.string() }),
});

export const toolUseBlock = z.strictObject({
  toolUseId: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});

export const toolResultContent = z.strictObject({
  text: z.string().optional(),
  json: z.unknown().optional(),
});

export const toolResultBlock = z.strictObject({
  toolUseId: z.string().min(1),
  content: z.array(toolResultContent),
  status: z.enum(['success', 'error']).optional(),
});

/** Reasoning a client sends back in an assistant turn (a tool-use loop with thinking on). */
const reasoningBlock = z
  .strictObject({
    reasoningText: z.strictObject({ text: z.string(), signature: z.string().optional() }).optional(),
    redactedContent: z.string().optional(),
  })
  .superRefine(oneMember);

export const userBlock = z
  .strictObject({
    text: z.string().optional(),
    image: imageBlock.optional(),
    toolResult: toolResultBlock.optional(),
    cachePoint: cachePoint.optional(),
  })
  .superRefine(oneMember);

export const assistantBlock = z
  .strictObject({
    text: z.string().optional(),
    toolUse: toolUseBlock.optional(),
    reasoningContent: reasoningBlock.optional(),
    cachePoint: cachePoint.optional(),
  })
  .superRefine(oneMember);

const message = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('user'), content: z.array(userBlock).min(1) }),
  z.strictObject({ role: z.literal('assistant'), content: z.array(assistantBlock).min(1) }),
]);

const toolSpec = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  inputSchema: z.strictObject({ json: z.record(z.string(), z.unknown()) }),
});

export const toolChoice = z
  .strictObject({
    auto: z.strictObject({}).optional(),
    any: z.strictObject({}).optional(),
    tool: z.strictObject({ name: z.string().min(1) }).optional(),
  })
  .superRefine(oneMember);

const effort = z.enum(['low', 'medium', 'high']);

/**
 * The model-specific request fields the canonical request carries: reasoning, as each model family
 * on Bedrock asks for it (Claude `thinking`, Nova `reasoningConfig`, gpt-oss `reasoning_effort`),
 * and Claude's `top_k`.
 * Any other field is refused by name.
 */
export const additionalFields = z.strictObject({
  thinking: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('enabled'), budget_tokens: z.number().int().positive() }),
      z.strictObject({ type: z.literal('disabled') }),
    ])
    .optional(),
  reasoningConfig: z
    .strictObject({ type: z.enum(['enabled', 'disabled']), maxReasoningEffort: effort.optional() })
    .optional(),
  reasoning_effort: effort.optional(),
  // Claude's top_k (the Bedrock adapter sends it back per family: Claude top_k, Nova topK).
  top_k: z.number().int().positive().optional(),
});

/**
 * The Converse / ConverseStream body (AWS API reference API_runtime_Converse) as far as the
 * canonical request carries it. Unknown top-level members (guardrailConfig, promptVariables,
 * serviceTier, ...) are refused by name rather than dropped.
 */
export const converseBody = z.strictObject({
  messages: z.array(message).min(1),
  system: z
    .array(
      z
        .strictObject({ text: z.string().optional(), cachePoint: cachePoint.optional() })
        .superRefine(oneMember),
    )
    .optional(),
  inferenceConfig: z
    .strictObject({
      maxTokens: z.number().int().positive().optional(),
      temperature: z.number().min(0).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
  toolConfig: z
    .strictObject({
      tools: z
        .array(
          z
            .strictObject({ toolSpec: toolSpec.optional(), cachePoint: cachePoint.optional() })
            .superRefine(oneMember),
        )
        .min(1),
      toolChoice: toolChoice.optional(),
    })
    .optional(),
  additionalModelRequestFields: additionalFields.optional(),
  additionalModelResponseFieldPaths: z.array(z.string()).max(0).optional(),
  // Request metadata labels the invocation in Bedrock's logs; the gateway logs its own ids.
  requestMetadata: z.record(z.string(), z.string()).optional(),
  performanceConfig: z.strictObject({ latency: z.literal('standard') }).optional(),
});

export type ConverseBody = z.infer<typeof converseBody>;
