import { failureStatus } from '../stream-faults.ts';
import type { SimChatResult } from '../sim-chat.ts';
import type { SimFailure } from '../sim-failure.ts';
import type { SimHttpResponse } from '../sim-http.ts';
import type { ChatProtocol, ResponseMeta, StreamFrame, WireProtocol } from '../wire-protocol.ts';
import {
  bedrockException,
  bedrockHeaders,
  sendBedrockException,
  streamExceptionMember,
} from './bedrock-errors.ts';
import { converseResponse, converseStreamEvents } from './converse-codec.ts';
import { corruptFrame, errorFrame, eventFrame, exceptionFrame } from './event-stream-frames.ts';
import { invokeResponse, invokeStreamChunks, type InvokeFamily } from './invoke-codec.ts';

function sendJson(
  http: SimHttpResponse,
  meta: ResponseMeta,
  body: string,
  extra: Record<string, string> = {},
): void {
  http.writeHead(200, {
    ...bedrockHeaders(meta.requestId),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-sim-inference-region': meta.inferenceRegion,
    ...extra,
  });
  http.end(body);
}

/** Errors and malformed bodies, as every Bedrock operation renders them. */
export const bedrockWire: WireProtocol = {
  errorCode: (failure) => bedrockException(failure).code,
  sendError: (http, failure, meta) => {
    sendBedrockException(http, bedrockException(failure), meta.requestId);
  },
  sendMalformed: (http, meta) => {
    sendJson(http, meta, '{"output":{"message":{"role":"assistant","content":[{"text":"trunc');
  },
};

function streamError(failure: SimFailure, invokeStream: boolean): Uint8Array {
  const exception = bedrockException(failure);
  const member = streamExceptionMember(exception.code, invokeStream);
  if (member === undefined) return errorFrame(exception.code, exception.message);
  const payload: Record<string, unknown> = { message: exception.message };
  if (member === 'modelStreamErrorException') {
    payload.originalStatusCode = failureStatus(failure);
    payload.originalMessage = exception.message;
  }
  return exceptionFrame(member, payload);
}

function startEventStream(
  http: SimHttpResponse,
  meta: ResponseMeta,
  extra: Record<string, string> = {},
): void {
  http.writeHead(200, {
    ...bedrockHeaders(meta.requestId),
    'content-type': 'application/vnd.amazon.eventstream',
    'x-sim-inference-region': meta.inferenceRegion,
    ...extra,
  });
}

/** Converse and ConverseStream. */
export const converseProtocol: ChatProtocol = {
  ...bedrockWire,
  sendResult: (http, result, meta) => {
    sendJson(http, meta, JSON.stringify(converseResponse(result, meta.latencyMs)));
  },
  startStream: (http, meta) => {
    startEventStream(http, meta);
  },
  streamFrames: (result, meta): StreamFrame[] =>
    converseStreamEvents(result, meta.latencyMs).map((event) => ({
      data: eventFrame(event.type, event.payload),
      tokens: event.tokens,
    })),
  streamError: (failure) => streamError(failure, false),
  malformedFrame: corruptFrame,
};

/** InvokeModel and InvokeModelWithResponseStream for one native family. */
export function invokeProtocol(family: InvokeFamily): ChatProtocol {
  const tokenHeaders = (result: SimChatResult, meta: ResponseMeta): Record<string, string> => ({
    'x-amzn-bedrock-input-token-count': String(result.inputTokens),
    'x-amzn-bedrock-output-token-count': String(result.outputTokens),
    'x-amzn-bedrock-invocation-latency': String(meta.latencyMs),
  });
  return {
    ...bedrockWire,
    sendResult: (http, result, meta) => {
      sendJson(
        http,
        meta,
        JSON.stringify(invokeResponse(family, result, meta.requestId, meta.modelId)),
        tokenHeaders(result, meta),
      );
    },
    startStream: (http, meta) => {
      startEventStream(http, meta, { 'x-amzn-bedrock-content-type': 'application/json' });
    },
    streamFrames: (result, meta) =>
      invokeStreamChunks(family, result, meta.requestId, meta.modelId, meta.latencyMs, meta.latencyMs).map(
        (chunk) => ({
          data: eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(chunk.json)).toString('base64') }),
          tokens: chunk.tokens,
        }),
      ),
    streamError: (failure) => streamError(failure, true),
    malformedFrame: corruptFrame,
  };
}
