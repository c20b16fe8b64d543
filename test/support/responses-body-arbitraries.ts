import fc from 'fast-check';
import {
  dataUrl,
  jsonSchema,
  maxTokens,
  mostly,
  orJunk,
  shortText,
  toolArguments,
  toolId,
  toolName,
} from './chat-body-arbitraries.ts';

// OpenAI Responses API bodies (POST /v1/responses) for the fuzz run, built like the chat bodies of
// chat-body-arbitraries.ts: the right shape most of the time, junk in a field now and then, and
// values the dialect must refuse by name (built-in tools, stored state, file parts, URL images).

const inputPart = orJunk(
  mostly<unknown>(
    fc.oneof(
      fc.record({ type: fc.constant('input_text'), text: shortText }),
      fc.record({ type: fc.constant('input_image'), image_url: dataUrl }),
    ),
    { type: 'input_file', file_id: 'file_1' },
  ),
);
const outputPart = orJunk(
  fc.oneof(
    fc.record({ type: fc.constant('output_text'), text: shortText, annotations: fc.constant([]) }),
    fc.record({ type: fc.constant('refusal'), refusal: shortText }),
  ),
);

const inputItem = orJunk(
  mostly<unknown>(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          role: fc.constant('user'),
          content: fc.oneof(shortText, fc.array(inputPart, { maxLength: 3 })),
        }),
      },
      fc.record({ role: fc.constantFrom('system', 'developer'), content: shortText }),
      fc.record({
        type: fc.constant('message'),
        role: fc.constant('assistant'),
        content: fc.oneof(shortText, fc.array(outputPart, { maxLength: 2 })),
      }),
      fc.record({
        type: fc.constant('function_call'),
        call_id: toolId,
        name: toolName,
        arguments: toolArguments,
      }),
      fc.record({
        type: fc.constant('function_call_output'),
        call_id: toolId,
        output: fc.oneof(shortText, fc.array(inputPart, { maxLength: 2 })),
      }),
      fc.record({
        type: fc.constant('reasoning'),
        summary: fc.array(fc.record({ type: fc.constant('summary_text'), text: shortText }), {
          maxLength: 2,
        }),
        encrypted_content: fc.constantFrom(
          null,
          'spillway.signature:c2ln',
          'spillway.redacted:b3BhcXVl',
          'gAAAA',
        ),
      }),
    ),
    { type: 'item_reference', id: 'msg_1' },
  ),
);

const tool = orJunk(
  mostly<unknown>(
    fc.record(
      {
        type: fc.constant('function'),
        name: toolName,
        description: shortText,
        parameters: jsonSchema,
        strict: fc.boolean(),
      },
      { requiredKeys: ['type', 'name'] },
    ),
    { type: 'web_search' },
  ),
);

/** Responses API bodies: mostly well-formed, sometimes junk in a field or a feature the gateway refuses. */
export const openaiResponsesBody: fc.Arbitrary<unknown> = fc.record(
  {
    model: orJunk(fc.constantFrom('gpt', 'claude', 'direct')),
    input: orJunk(fc.oneof(shortText, fc.array(inputItem, { minLength: 1, maxLength: 6 }))),
    instructions: orJunk(shortText),
    max_output_tokens: maxTokens,
    temperature: orJunk(fc.double({ min: 0, max: 2, noNaN: true })),
    tools: orJunk(fc.array(tool, { maxLength: 3 })),
    tool_choice: orJunk(
      fc.oneof(
        fc.constantFrom('auto', 'none', 'required'),
        mostly<unknown>(fc.record({ type: fc.constant('function'), name: toolName }), {
          type: 'web_search_preview',
        }),
      ),
    ),
    text: orJunk(
      fc.record({
        format: fc.oneof(
          fc.record({ type: fc.constantFrom('text', 'json_object') }),
          fc.record(
            { type: fc.constant('json_schema'), name: shortText, schema: jsonSchema, strict: fc.boolean() },
            { requiredKeys: ['type', 'name', 'schema'] },
          ),
        ),
      }),
    ),
    reasoning: orJunk(fc.record({ effort: fc.constantFrom('low', 'medium', 'high') })),
    metadata: orJunk(fc.dictionary(shortText, shortText, { maxKeys: 2 })),
    store: orJunk(fc.boolean()),
    stream: orJunk(fc.boolean()),
    user: orJunk(shortText),
  },
  { requiredKeys: ['model', 'input'] },
);
