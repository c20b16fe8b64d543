import type Anthropic from '@anthropic-ai/sdk';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import {
  BedrockRuntimeServiceException,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type ResponseStream,
} from '@aws-sdk/client-bedrock-runtime';
import {
  anthropicStopReasons,
  contractSubject as anthropicSubject,
  readAnthropicMessage,
} from '../anthropic-messages/anthropic-messages-sdk.contract.ts';
import {
  bedrockClient,
  bedrockErrorClassFor,
  bedrockErrorTypes,
  readBedrockError,
} from '../bedrock-converse/__fixtures__/bedrock-sdk.ts';
import type { DialectContractSubject } from '../dialect.contract.ts';
import plainBody from './__fixtures__/invoke-request-plain.json' with { type: 'json' };
import toolsBody from './__fixtures__/invoke-request-tools.json' with { type: 'json' };
import { bedrockInvokeDialect } from './bedrock-invoke-dialect.ts';

const body = JSON.stringify({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'hello' }],
});

/**
 * The chunk events as the newline-delimited JSON that the Anthropic SDK's own MessageStream
 * accumulates (what AnthropicBedrock does with the same chunks). The events are read first, so an
 * in-band exception is thrown as the AWS SDK's own class.
 */
async function asJsonLines(events: AsyncIterable<ResponseStream>): Promise<ReadableStream<Uint8Array>> {
  const lines: Uint8Array[] = [];
  for await (const event of events) {
    if (event.chunk?.bytes !== undefined) lines.push(Buffer.concat([event.chunk.bytes, Buffer.from('\n')]));
  }
  return new ReadableStream({
    start(controller) {
      for (const line of lines) controller.enqueue(line);
      controller.close();
    },
  });
}

/** The Bedrock InvokeModel dialect driven through @aws-sdk/client-bedrock-runtime with a bearer token. */
export const contractSubject: DialectContractSubject = {
  dialect: bedrockInvokeDialect,
  async chat(origin, model, stream) {
    const client = bedrockClient(origin, 'sk-contract');
    const input = { modelId: model, body, contentType: 'application/json', accept: 'application/json' };
    if (!stream) {
      const output = await client.send(new InvokeModelCommand(input));
      return readAnthropicMessage(JSON.parse(Buffer.from(output.body).toString('utf8')) as Anthropic.Message);
    }
    const output = await client.send(new InvokeModelWithResponseStreamCommand(input));
    if (output.body === undefined) throw new Error('no stream');
    const lines = await asJsonLines(output.body);
    return readAnthropicMessage(await MessageStream.fromReadableStream(lines).finalMessage());
  },
  listModels: () => undefined,
  embed: () => undefined,
  embeddingsBodies: [],
  apiErrorClass: BedrockRuntimeServiceException,
  errorClassFor: bedrockErrorClassFor,
  readError: readBedrockError,
  errorTypes: bedrockErrorTypes,
  stopReasons: anthropicStopReasons,
  expectedUsage: (usage) => anthropicSubject.expectedUsage(usage),
  chatBodies: [toolsBody, plainBody],
  freeFormPaths: [...anthropicSubject.freeFormPaths, 'anthropic_version'],
  chatRouteParams: { model: 'group-x', stream: false },
};
