import fc from 'fast-check';

/**
 * fast-check arbitraries of chat request bodies, for the property tests of the parsers and
 * translators and for the fuzz run against a gateway process: bodies of the right shape most of the
 * time (so parsing succeeds and the translators run), with junk in any field now and then, and
 * mutations of valid bodies (a field dropped, retyped, duplicated, nested deeper).
 */

type Json = unknown;

/** Any JSON value, shallow. */
export const junk: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 });

/** `arbitrary` most of the time, any JSON value once in a while. */
export function orJunk(arbitrary: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc.oneof({ weight: 40, arbitrary }, { weight: 1, arbitrary: junk });
}

export const shortText = fc.string({ maxLength: 12 });

/** `usual` most of the time, one of `rare` (values a parser must refuse or handle) now and then. */
export function mostly<T>(usual: fc.Arbitrary<T>, ...rare: T[]): fc.Arbitrary<T> {
  return rare.length === 0
    ? usual
    : fc.oneof({ weight: 15, arbitrary: usual }, { weight: 1, arbitrary: fc.constantFrom(...rare) });
}

export const toolName = mostly(fc.constantFrom('get_weather', 'lookup', 'f'), '');
export const toolId = fc.constantFrom('call_1', 'call_2', 'toolu_1', '');
export const dataUrl = mostly(
  fc.constantFrom('data:image/png;base64,iVBORw0KGgo=', 'data:image/webp;base64,UklGRg=='),
  'data:image/tiff;base64,AAAA',
  'https://example.com/cat.png',
);
export const jsonSchema: fc.Arbitrary<Json> = fc.oneof(
  fc.constant({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
  fc.dictionary(fc.constantFrom('type', 'properties', 'items', 'enum', 'anyOf'), junk, { maxKeys: 3 }),
);
export const toolArguments = fc.oneof(
  junk.map((value) => JSON.stringify(value)),
  fc.constantFrom('', '{', '{"city":"Paris"}', 'null', '[1,2]'),
);
export const maxTokens = orJunk(mostly(fc.integer({ min: 1, max: 4096 }), 0, -1, 1.5));

const openaiTextParts = fc.array(orJunk(fc.record({ type: fc.constant('text'), text: shortText })), {
  maxLength: 3,
});
const openaiUserParts = fc.array(
  orJunk(
    fc.oneof(
      fc.record({ type: fc.constant('text'), text: shortText }),
      fc.record({ type: fc.constant('image_url'), image_url: fc.record({ url: dataUrl }) }),
    ),
  ),
  { maxLength: 3 },
);
const openaiToolCall = fc.record({
  id: toolId,
  type: fc.constant('function'),
  function: fc.record({ name: toolName, arguments: toolArguments }),
});

const openaiMessage: fc.Arbitrary<Json> = orJunk(
  fc.oneof(
    fc.record({
      role: fc.constantFrom('system', 'developer'),
      content: fc.oneof(shortText, openaiTextParts),
    }),
    fc.record({ role: fc.constant('user'), content: fc.oneof(shortText, openaiUserParts) }),
    fc.record(
      {
        role: fc.constant('assistant'),
        content: fc.oneof(shortText, fc.constant(null), openaiTextParts),
        tool_calls: fc.array(openaiToolCall, { maxLength: 2 }),
      },
      { requiredKeys: ['role'] },
    ),
    fc.record({
      role: fc.constant('tool'),
      tool_call_id: toolId,
      content: fc.oneof(shortText, openaiTextParts),
    }),
  ),
);

/** OpenAI Chat Completions bodies: mostly well-formed, sometimes junk in a field. */
export const openaiChatBody: fc.Arbitrary<Json> = fc.record(
  {
    model: orJunk(fc.constantFrom('gpt', 'claude', 'direct')),
    messages: orJunk(fc.array(openaiMessage, { minLength: 1, maxLength: 6 })),
    max_tokens: maxTokens,
    max_completion_tokens: maxTokens,
    temperature: orJunk(fc.double({ min: 0, max: 2, noNaN: true })),
    top_p: orJunk(fc.double({ min: 0, max: 1, noNaN: true })),
    stop: orJunk(fc.oneof(shortText, fc.array(shortText, { maxLength: 3 }))),
    tools: orJunk(
      fc.array(
        fc.record(
          {
            type: fc.constant('function'),
            function: fc.record(
              { name: toolName, description: shortText, parameters: jsonSchema },
              { requiredKeys: ['name'] },
            ),
          },
          { requiredKeys: ['type', 'function'] },
        ),
        { maxLength: 3 },
      ),
    ),
    tool_choice: orJunk(
      fc.oneof(
        fc.constantFrom('auto', 'none', 'required'),
        fc.record({ type: fc.constant('function'), function: fc.record({ name: toolName }) }),
      ),
    ),
    response_format: orJunk(
      fc.oneof(
        fc.record({ type: fc.constantFrom('text', 'json_object') }),
        fc.record({
          type: fc.constant('json_schema'),
          json_schema: fc.record(
            { name: shortText, schema: jsonSchema, strict: fc.boolean() },
            { requiredKeys: ['name'] },
          ),
        }),
      ),
    ),
    stream: orJunk(fc.boolean()),
    stream_options: orJunk(fc.record({ include_usage: fc.boolean() })),
    user: orJunk(shortText),
    n: orJunk(mostly(fc.constant(1), 2)),
  },
  { requiredKeys: ['model', 'messages'] },
);

const anthropicText = fc.record({ type: fc.constant('text'), text: shortText });
const anthropicUserBlock = orJunk(
  fc.oneof(
    anthropicText,
    fc.record({
      type: fc.constant('image'),
      source: fc.record({
        type: mostly(fc.constant('base64'), 'url'),
        media_type: fc.constantFrom('image/png', 'image/tiff'),
        data: fc.constantFrom('iVBORw0KGgo=', ''),
      }),
    }),
    fc.record(
      {
        type: fc.constant('tool_result'),
        tool_use_id: toolId,
        content: fc.oneof(shortText, fc.array(anthropicText, { maxLength: 2 })),
        is_error: fc.boolean(),
      },
      { requiredKeys: ['type', 'tool_use_id'] },
    ),
  ),
);
const anthropicAssistantBlock = orJunk(
  fc.oneof(
    anthropicText,
    fc.record({
      type: fc.constant('tool_use'),
      id: toolId,
      name: toolName,
      input: fc.oneof(fc.constant({ city: 'Paris' }), fc.dictionary(shortText, junk, { maxKeys: 3 })),
    }),
  ),
);
const anthropicMessage: fc.Arbitrary<Json> = orJunk(
  fc.oneof(
    fc.record({
      role: fc.constant('user'),
      content: fc.oneof(shortText, fc.array(anthropicUserBlock, { maxLength: 3 })),
    }),
    fc.record({
      role: fc.constant('assistant'),
      content: fc.oneof(shortText, fc.array(anthropicAssistantBlock, { maxLength: 3 })),
    }),
  ),
);

/** Anthropic Messages bodies: mostly well-formed, sometimes junk in a field. */
export const anthropicMessagesBody: fc.Arbitrary<Json> = fc.record(
  {
    model: orJunk(fc.constantFrom('gpt', 'claude', 'direct')),
    max_tokens: maxTokens,
    system: orJunk(fc.oneof(shortText, fc.array(anthropicText, { maxLength: 2 }))),
    messages: orJunk(fc.array(anthropicMessage, { minLength: 1, maxLength: 6 })),
    tools: orJunk(
      fc.array(
        fc.record(
          { name: toolName, description: shortText, input_schema: jsonSchema },
          { requiredKeys: ['name', 'input_schema'] },
        ),
        { maxLength: 3 },
      ),
    ),
    tool_choice: orJunk(
      fc.oneof(
        fc.record({ type: fc.constantFrom('auto', 'any', 'none') }),
        fc.record({ type: fc.constant('tool'), name: toolName }),
      ),
    ),
    stop_sequences: orJunk(fc.array(shortText, { maxLength: 3 })),
    temperature: orJunk(fc.double({ min: 0, max: 1, noNaN: true })),
    top_p: orJunk(fc.double({ min: 0, max: 1, noNaN: true })),
    metadata: orJunk(fc.record({ user_id: shortText })),
    stream: orJunk(fc.boolean()),
  },
  { requiredKeys: ['model', 'max_tokens', 'messages'] },
);

/** One edit of a JSON value at the `target`-th container or field (modulo how many there are). */
interface Mutation {
  readonly target: number;
  readonly kind: 'delete' | 'replace' | 'duplicate' | 'deepen' | 'stringify';
  readonly value: Json;
  readonly times: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  target: fc.nat(),
  kind: fc.constantFrom('delete', 'replace', 'duplicate', 'deepen', 'stringify'),
  value: junk,
  times: fc.integer({ min: 2, max: 60 }),
});

type Container = Record<string, Json> | Json[];

/** JSON.stringify, with `null` for what it cannot write (undefined). */
function jsonText(value: Json): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

function isContainer(value: Json): value is Container {
  return typeof value === 'object' && value !== null;
}

/** Every (container, key) slot of `value`, iteratively, in document order. */
function slotsOf(value: Json): [Container, string | number][] {
  const slots: [Container, string | number][] = [];
  const stack: Json[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (!isContainer(current)) continue;
    const keys: (string | number)[] = Array.isArray(current)
      ? current.map((_, index) => index)
      : Object.keys(current);
    for (const key of keys) {
      slots.push([current, key]);
      stack.push((current as Record<string | number, Json>)[key]);
    }
  }
  return slots;
}

function applyMutation(body: Json, edit: Mutation): void {
  const slots = slotsOf(body);
  if (slots.length === 0) return;
  const [container, key] = slots[edit.target % slots.length] as [Container, string | number];
  const record = container as Record<string | number, Json>;
  const current = record[key];
  switch (edit.kind) {
    case 'delete':
      if (Array.isArray(container) && typeof key === 'number') container.splice(key, 1);
      else Reflect.deleteProperty(record, key);
      break;
    case 'replace':
      record[key] = edit.value;
      break;
    case 'duplicate':
      // A long array of the same entry: many messages, parts or tools.
      record[key] = Array.from({ length: edit.times }, () => current);
      break;
    case 'deepen': {
      // The value wrapped in `times` levels of arrays and objects.
      let wrapped: Json = current;
      for (let level = 0; level < edit.times; level += 1)
        wrapped = level % 2 === 0 ? [wrapped] : { a: wrapped };
      record[key] = wrapped;
      break;
    }
    case 'stringify':
      record[key] = jsonText(current);
      break;
  }
}

/** `bodies` after one to three mutations each (the bodies are copied first). */
export function mutatedBody(bodies: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc.tuple(bodies, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([body, edits]) => {
    const copy = structuredClone(body);
    for (const edit of edits) applyMutation(copy, edit);
    return copy;
  });
}

/** A stand-in replaced in the JSON text by a value too deep for JSON.stringify to write. */
const deepSentinel = '\u0000deep\u0000';

/** Keys under which a client sends free-form JSON the gateway passes on (schemas, tool inputs). */
const freeFormKeys = new Set(['parameters', 'input_schema', 'schema', 'input', 'properties', 'city', 'type']);

/**
 * JSON texts of `bodies`, as generated or mutated as by {@link mutatedBody}, and one in three with
 * a value replaced by `{"a":{"a":...}}` or `[[...]]` nested hundreds to tens of thousands of levels
 * deep (JSON.parse reads any depth; JSON.stringify and recursive code overflow the stack past a
 * few thousand), most often inside a tool schema or tool input, where a gateway passes it on.
 */
export function mutatedBodyText(bodies: fc.Arbitrary<Json>): fc.Arbitrary<string> {
  const deep = fc.record({
    target: fc.nat(),
    levels: fc.constantFrom(129, 300, 5000, 20_000),
    arrays: fc.boolean(),
    freeForm: fc.nat(3),
  });
  return fc
    .tuple(
      fc.oneof(bodies, mutatedBody(bodies)),
      fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: deep }),
    )
    .map(([generated, deepValue]) => {
      const body = structuredClone(generated);
      if (deepValue === null) return jsonText(body);
      const slots = slotsOf(body);
      const freeForm = slots.filter(([, key]) => typeof key === 'string' && freeFormKeys.has(key));
      const candidates = deepValue.freeForm > 0 && freeForm.length > 0 ? freeForm : slots;
      if (candidates.length === 0) return jsonText(body);
      const [container, key] = candidates[deepValue.target % candidates.length] as [
        Container,
        string | number,
      ];
      (container as Record<string | number, Json>)[key] = deepSentinel;
      const nested = deepValue.arrays
        ? '['.repeat(deepValue.levels) + ']'.repeat(deepValue.levels)
        : '{"a":'.repeat(deepValue.levels) + '1' + '}'.repeat(deepValue.levels);
      return jsonText(body).replace(jsonText(deepSentinel), nested);
    });
}
