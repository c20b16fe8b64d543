import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { encodeFrame } from '../../../src/providers/bedrock/event-stream-framer.ts';

/**
 * A loopback Bedrock Runtime stand-in for the adapter's tests: records each request, lets the test
 * answer it, and can verify SigV4 by re-signing (protocols.md 1.8).
 */

export interface FixtureRequest {
  readonly method: string;
  /** The path exactly as sent (still percent-encoded). */
  readonly rawPath: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type FixtureHandler = (request: FixtureRequest, response: ServerResponse) => void | Promise<void>;

export interface FixtureServer {
  readonly url: string;
  readonly requests: FixtureRequest[];
  /** Replaces the handler for the following requests. */
  handle(handler: FixtureHandler): void;
  close(): Promise<void>;
}

export async function startBedrockFixtureServer(): Promise<FixtureServer> {
  const requests: FixtureRequest[] = [];
  let handler: FixtureHandler = (_request, response) => {
    response.writeHead(500).end();
  };
  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      const request: FixtureRequest = {
        method: incoming.method ?? '',
        rawPath: incoming.url ?? '',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      void Promise.resolve(handler(request, response)).catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Answers with a JSON body. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': 'fixture-request-id',
    ...headers,
  });
  response.end(text);
}

/** One ConverseStream event frame, with the service's random `p` padding field added. */
export function eventFrame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return encodeFrame({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: new TextEncoder().encode(JSON.stringify({ ...payload, p: 'abcdefghijklmnopqrstu' })),
  });
}

/** An in-stream exception frame (`:exception-type` is the lowerCamel union member name). */
export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return encodeFrame({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: new TextEncoder().encode(JSON.stringify({ message })),
  });
}

/**
 * Starts an event-stream response and writes the frames, concatenated and re-cut into chunks of
 * `chunkSize` bytes (so frames span writes and writes hold several frames). Ends the response
 * unless `end` is false.
 */
export function sendFrames(
  response: ServerResponse,
  frames: readonly Uint8Array[],
  options: { chunkSize?: number; end?: boolean } = {},
): void {
  response.writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': 'fixture-stream-id',
  });
  const all = Buffer.concat(frames);
  const size = options.chunkSize ?? all.byteLength;
  for (let offset = 0; offset < all.byteLength; offset += size) {
    response.write(all.subarray(offset, offset + size));
  }
  if (options.end !== false) response.end();
}

/**
 * Re-signs the request with `secretAccessKey` and compares signatures (protocols.md 1.8). Returns
 * the access key id and region from the credential scope when the signature matches, else undefined.
 */
export async function verifySigV4(
  request: FixtureRequest,
  secretAccessKey: string,
): Promise<{ accessKeyId: string; region: string; service: string } | undefined> {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      request.headers['authorization'] ?? '',
    );
  const amzDate = request.headers['x-amz-date'];
  if (match === null || amzDate === undefined) return undefined;
  const [, accessKeyId = '', , region = '', service = '', signedHeaderList = ''] = match;
  const headers: Record<string, string> = {};
  for (const name of signedHeaderList.split(';')) headers[name] = request.headers[name] ?? '';
  const signingDate = new Date(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  const signer = new SignatureV4({
    service,
    region,
    sha256: Sha256,
    credentials: {
      accessKeyId,
      secretAccessKey,
      ...(request.headers['x-amz-security-token'] === undefined
        ? {}
        : { sessionToken: request.headers['x-amz-security-token'] }),
    },
  });
  const [path = '', query = ''] = request.rawPath.split('?');
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: (request.headers['host'] ?? '').split(':')[0] ?? '',
      path,
      query: Object.fromEntries(new URLSearchParams(query)),
      headers,
      body: request.body,
    },
    { signingDate },
  );
  return signed.headers['authorization'] === request.headers['authorization']
    ? { accessKeyId, region, service }
    : undefined;
}
