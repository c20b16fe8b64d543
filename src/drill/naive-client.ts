import { APIError } from 'openai';
import type { SpillwayConfig } from '../config/schema.ts';
import { failure, type DrillClient, type DrillRequest, type SendOutcome } from './drill-sample.ts';
import { openaiClient } from './openai-client.ts';

type BedrockSdk = typeof import('@aws-sdk/client-bedrock-runtime');

/** The naive client's deployment as reports name it. */
export interface NaiveTarget {
  readonly sdk: 'bedrock' | 'openai';
  readonly provider: string;
  readonly model: string;
}

/** The naive client cannot be built (its SDK is not installed, or the provider is unusable). */
export class NaiveClientError extends Error {
  override readonly name = 'NaiveClientError';
}

async function loadBedrockSdk(): Promise<BedrockSdk> {
  try {
    const sdk: BedrockSdk = await import('@aws-sdk/client-bedrock-runtime');
    return sdk;
  } catch {
    throw new NaiveClientError(
      'the naive Bedrock client needs the AWS SDK: npm install @aws-sdk/client-bedrock-runtime',
    );
  }
}

function statusOf(error: unknown): number {
  if (error instanceof APIError) return (error as APIError).status ?? 0;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return metadata?.httpStatusCode ?? 0;
}

/**
 * The AWS SDK's BedrockRuntimeClient with its defaults (standard retry mode, 3 attempts, no request
 * timeout) against one deployment: what an application calling Bedrock directly gets.
 */
async function bedrockClient(
  config: SpillwayConfig,
  target: NaiveTarget,
  providerName: string,
): Promise<DrillClient> {
  const provider = config.providers[providerName];
  if (provider?.type !== 'bedrock') throw new NaiveClientError(`provider ${providerName} is not bedrock`);
  const sdk = await loadBedrockSdk();
  const credentials = provider.credentials;
  const client = new sdk.BedrockRuntimeClient({
    region: provider.region,
    ...(provider.endpoint === undefined ? {} : { endpoint: provider.endpoint }),
    ...(credentials?.access_key_id !== undefined && credentials.secret_access_key !== undefined
      ? {
          credentials: {
            accessKeyId: credentials.access_key_id,
            secretAccessKey: credentials.secret_access_key,
          },
        }
      : {}),
  });
  const region = provider.region;
  return {
    async send(request: DrillRequest): Promise<SendOutcome> {
      const started = performance.now();
      const input = {
        modelId: target.model,
        messages: [{ role: 'user' as const, content: [{ text: request.prompt }] }],
        inferenceConfig: { maxTokens: request.maxTokens },
      };
      const where = { deployment: `${providerName}/${target.model}`, region };
      try {
        if (!request.stream) {
          const answer = await client.send(new sdk.ConverseCommand(input), { abortSignal: request.signal });
          const elapsed = performance.now() - started;
          return {
            stream: false,
            ok: true,
            status: 200,
            ttft_ms: elapsed,
            ttlt_ms: elapsed,
            ...where,
            input_tokens: answer.usage?.inputTokens ?? 0,
            output_tokens: answer.usage?.outputTokens ?? 0,
          };
        }
        const answer = await client.send(new sdk.ConverseStreamCommand(input), {
          abortSignal: request.signal,
        });
        let ttft: number | undefined;
        let tokens = { input: 0, output: 0 };
        let stopped = false;
        for await (const event of answer.stream ?? []) {
          if (event.messageStop) stopped = true;
          if (ttft === undefined && (event.contentBlockDelta?.delta?.text ?? '') !== '') {
            ttft = performance.now() - started;
          }
          const usage = event.metadata?.usage;
          if (usage) tokens = { input: usage.inputTokens ?? 0, output: usage.outputTokens ?? 0 };
          const failed =
            event.internalServerException ??
            event.modelStreamErrorException ??
            event.throttlingException ??
            event.serviceUnavailableException ??
            event.validationException;
          if (failed) throw failed;
        }
        const elapsed = performance.now() - started;
        // A stream cut before its messageStop is a broken answer, whatever came before.
        if (!stopped) throw new Error('the stream ended without messageStop');
        return {
          stream: true,
          ok: true,
          status: 200,
          ttft_ms: ttft ?? elapsed,
          ttlt_ms: elapsed,
          ...where,
          input_tokens: tokens.input,
          output_tokens: tokens.output,
        };
      } catch (error) {
        return failure(error, statusOf(error), performance.now() - started, request.stream);
      }
    },
  };
}

/** The openai package with its defaults (2 retries, 10-minute timeout) against one deployment. */
function naiveOpenai(config: SpillwayConfig, target: NaiveTarget, providerName: string): DrillClient {
  const provider = config.providers[providerName];
  if (provider?.type !== 'openai') throw new NaiveClientError(`provider ${providerName} is not openai`);
  return openaiClient({
    baseURL: provider.base_url,
    keys: [provider.api_key ?? 'none'],
    model: target.model,
    where: { deployment: `${providerName}/${target.model}`, region: provider.region },
  });
}

/** The naive baseline client for `target` (its provider taken from `config`). */
export async function naiveClient(config: SpillwayConfig, target: NaiveTarget): Promise<DrillClient> {
  return target.sdk === 'bedrock'
    ? bedrockClient(config, target, target.provider)
    : naiveOpenai(config, target, target.provider);
}
