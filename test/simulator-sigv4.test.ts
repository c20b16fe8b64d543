import { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { generateText, streamText } from 'ai';
import { AwsClient } from 'aws4fetch';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 14: the simulator verifies SigV4 as AWS does, so every correct signer passes (the AWS SDK,
// aws4fetch and @ai-sdk/amazon-bedrock, which sign differently) and wrong ones still fail.

const account1 = { accessKeyId: 'AKIASIMACCOUNT1EXAMPLE', secretAccessKey: 'sim-secret-account-1' };
const sonnetUs = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
/** boto3, where this machine has it (Python's AWS SDK signs without x-amz-content-sha256). */
const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0;
const boto3Script = `
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
url, key, secret, model = sys.argv[1:5]
client = boto3.client('bedrock-runtime', endpoint_url=url, region_name='us-east-1', aws_access_key_id=key,
                      aws_secret_access_key=secret, config=Config(retries={'max_attempts': 1}))
messages = [{'role': 'user', 'content': [{'text': 'Hello from boto3'}]}]
out = {}
try:
    out['stopReason'] = client.converse(modelId=model, messages=messages)['stopReason']
    text = ''
    for event in client.converse_stream(modelId=model, messages=messages)['stream']:
        text += event.get('contentBlockDelta', {}).get('delta', {}).get('text', '')
    out['streamText'] = text
except ClientError as error:
    out['error'] = error.response['Error']['Code']
    out['status'] = error.response['ResponseMetadata']['HTTPStatusCode']
print(json.dumps(out))
`;

/** Runs Converse and ConverseStream with boto3 against the simulator (asynchronously: it is in this process). */
async function boto3Converse(secret: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(
    'python3',
    ['-c', boto3Script, sim.url, account1.accessKeyId, secret, sonnetUs],
    {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', AWS_CONFIG_FILE: '/dev/null' },
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

const converseBody = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello there' }] }] });

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ seed: 11 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

const converseUrl = (modelId = encodeURIComponent(sonnetUs)): string =>
  `${sim.url}/model/${modelId}/converse`;

function aws4(secretAccessKey = account1.secretAccessKey): AwsClient {
  return new AwsClient({
    accessKeyId: account1.accessKeyId,
    secretAccessKey,
    service: 'bedrock',
    region: 'us-east-1',
    retries: 0,
  });
}

interface ErrorAnswer {
  readonly status: number;
  readonly type: string | null;
  readonly message: string;
}

async function errorOf(response: Response): Promise<ErrorAnswer> {
  const body = (await response.json()) as { message: string };
  return {
    status: response.status,
    type: response.headers.get('x-amzn-errortype')?.split(':')[0] ?? null,
    message: body.message,
  };
}

describe('SigV4 signers the simulator accepts', () => {
  it('@ai-sdk/amazon-bedrock with SigV4 credentials: generateText and streamText', async () => {
    const bedrock = createAmazonBedrock({ region: 'us-east-1', baseURL: sim.url, ...account1 });
    const answer = await generateText({ model: bedrock(sonnetUs), prompt: 'Hello there', maxRetries: 0 });
    expect(answer.text).toMatch(/\w+/);
    expect(answer.usage.inputTokens).toBeGreaterThan(0);
    const streamed = streamText({ model: bedrock(sonnetUs), prompt: 'Stream to me', maxRetries: 0 });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toMatch(/\w+/);
    expect(await streamed.finishReason).toBe('stop');
    expect(sim.invocations().map((record) => [record.operation, record.status])).toEqual([
      ['Converse', 200],
      ['ConverseStream', 200],
    ]);
  });

  it('aws4fetch signing without x-amz-content-sha256', async () => {
    const signed = await aws4().sign(converseUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: converseBody,
    });
    expect(signed.headers.has('x-amz-content-sha256')).toBe(false);
    expect(signed.headers.get('authorization')).not.toContain('x-amz-content-sha256');
    const response = await fetch(signed);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { stopReason: string };
    expect(answer.stopReason).toBe('end_turn');
  });

  it('a presigned request (aws4fetch signQuery)', async () => {
    const signed = await aws4().sign(converseUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: converseBody,
      aws: { signQuery: true },
    });
    const url = new URL(signed.url);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(signed.headers.has('authorization')).toBe(false);
    const response = await fetch(signed);
    expect(response.status).toBe(200);
    expect(sim.invocations()[0]).toMatchObject({ accountId: '111111111111', region: 'us-east-1' });
  });

  it.skipIf(!hasBoto3)(
    'boto3 (Converse and ConverseStream), and with a wrong secret InvalidSignatureException',
    async () => {
      const answer = await boto3Converse(account1.secretAccessKey);
      expect(answer['stopReason']).toBe('end_turn');
      expect(answer['streamText']).toMatch(/\w+/);
      expect(await boto3Converse('wrong')).toEqual({ error: 'InvalidSignatureException', status: 403 });
    },
  );

  it('the AWS JS SDK, over HTTP/2 and HTTP/1.1', async () => {
    for (const requestHandler of [undefined, new NodeHttpHandler()]) {
      const client = new BedrockRuntimeClient({
        region: 'us-west-2',
        endpoint: sim.url,
        credentials: account1,
        maxAttempts: 1,
        ...(requestHandler === undefined ? {} : { requestHandler }),
      });
      const response = await client.send(
        new ConverseCommand({ modelId: sonnetUs, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      );
      expect(response.stopReason).toBe('end_turn');
      client.destroy();
    }
    expect(sim.invocations().map((record) => record.region)).toEqual(['us-west-2', 'us-west-2']);
  });
});

describe('SigV4 failures the simulator refuses as AWS does', () => {
  it('a wrong secret: InvalidSignatureException (the SDK throws it by name)', async () => {
    const client = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: sim.url,
      credentials: { ...account1, secretAccessKey: 'wrong' },
      maxAttempts: 1,
    });
    const error = await client
      .send(
        new ConverseCommand({ modelId: sonnetUs, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      )
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('InvalidSignatureException');
    client.destroy();
    const viaAws4 = await errorOf(
      await aws4('wrong').fetch(converseUrl(), { method: 'POST', body: converseBody }),
    );
    expect(viaAws4).toMatchObject({ status: 403, type: 'InvalidSignatureException' });
    expect(viaAws4.message).toContain('does not match the signature you provided');
  });

  it('an unknown access key: UnrecognizedClientException', async () => {
    const stranger = new AwsClient({
      accessKeyId: 'AKIANOBODY',
      secretAccessKey: 'x',
      service: 'bedrock',
      region: 'us-east-1',
      retries: 0,
    });
    const answer = await errorOf(await stranger.fetch(converseUrl(), { method: 'POST', body: converseBody }));
    expect(answer).toEqual({
      status: 403,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('a tampered body: InvalidSignatureException', async () => {
    const signed = await aws4().sign(converseUrl(), { method: 'POST', body: converseBody });
    const tampered = new Request(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body: converseBody.replace('Hello there', 'Hello World'),
    });
    expect(await errorOf(await fetch(tampered))).toMatchObject({
      status: 403,
      type: 'InvalidSignatureException',
    });
    expect(sim.invocations()).toEqual([
      expect.objectContaining({ status: 403, errorCode: 'InvalidSignatureException' }),
    ]);
  });

  it('a stale date (over 5 minutes): InvalidSignatureException "Signature expired"', async () => {
    const tenMinutesAgo = new Date(Date.now() - 10 * 60 * 1000).toISOString().replace(/[:-]|\.\d{3}/g, '');
    const signed = await aws4().sign(converseUrl(), {
      method: 'POST',
      body: converseBody,
      aws: { datetime: tenMinutesAgo },
    });
    const answer = await errorOf(await fetch(signed));
    expect(answer).toMatchObject({ status: 403, type: 'InvalidSignatureException' });
    expect(answer.message).toMatch(
      new RegExp(
        `^Signature expired: ${tenMinutesAgo} is now earlier than \\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z - 5 min\\.\\)$`,
      ),
    );
  });

  it('a presigned URL used with another body or query: InvalidSignatureException', async () => {
    const signed = await aws4().sign(converseUrl(), {
      method: 'POST',
      body: converseBody,
      aws: { signQuery: true },
    });
    const otherBody = new Request(signed.url, { method: 'POST', body: '{"messages":[]}' });
    expect(await errorOf(await fetch(otherBody))).toMatchObject({
      status: 403,
      type: 'InvalidSignatureException',
    });
    const otherQuery = new Request(`${signed.url}&extra=1`, { method: 'POST', body: converseBody });
    expect(await errorOf(await fetch(otherQuery))).toMatchObject({
      status: 403,
      type: 'InvalidSignatureException',
    });
  });
});
