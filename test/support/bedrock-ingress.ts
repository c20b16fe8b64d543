import type { ConverseStreamOutput, Message } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { bedrockClient } from '../../src/dialects/bedrock-converse/__fixtures__/bedrock-sdk.ts';
import { simModels, singleDeploymentGroup } from './gateway-config.ts';
import { useSimulatedGateway, type SimulatedGateway } from './simulated-gateway.ts';

/** The inference profile id one group is named after (served by a Bedrock Claude profile). */
export const profileId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
/** The throttled tenant's rpm: GCRA admits a burst of this many, then one every 60 s / rpm. */
export const throttledRpm = 12;
/** A one-turn conversation. */
export const ask: Message[] = [{ role: 'user', content: [{ text: 'Say hello' }] }];

/** An SDK client and the headers of each response it got, in order. */
export interface KeptHeadersClient {
  readonly bedrock: BedrockRuntimeClient;
  readonly headers: Record<string, string>[];
}

/** A gateway process for the Bedrock ingress tests, the simulator behind it, and its clients. */
export interface BedrockIngress {
  readonly world: SimulatedGateway;
  /** A key of a tenant with room (rpm 1000), and one of a tenant at `throttledRpm`. */
  readonly key: string;
  readonly throttledKey: string;
  /** An AWS SDK client whose responses' headers are kept (the SDK's output has none of its own). */
  readonly client: (apiKey?: string, maxAttempts?: number) => KeptHeadersClient;
}

/**
 * Groups `nova` (Bedrock Nova Pro), `gpt` (OpenAI-style) and `profileId` (a Bedrock Claude
 * profile, deployment `sonnet-us`), two tenants; started before the file's tests.
 */
export function useBedrockIngress(): BedrockIngress {
  const run = Date.now().toString(36);
  const key = `sk-bedrock-in-${run}`;
  const throttledKey = `sk-bedrock-throttled-${run}`;
  const world = useSimulatedGateway({
    simulator: { seed: 14 },
    gateway: {
      models: {
        nova: singleDeploymentGroup('nova', 'a1-us-east-1', simModels.novaPro),
        gpt: singleDeploymentGroup('gpt', 'openai', simModels.gpt),
        [profileId]: singleDeploymentGroup('sonnet-us', 'a1-us-east-1', simModels.sonnetUsProfile),
      },
      tenants: {
        builders: { keys: [key], rpm: 1000 },
        throttled: { keys: [throttledKey], rpm: throttledRpm },
      },
    },
  });
  function client(apiKey = key, maxAttempts = 1): KeptHeadersClient {
    const bedrock = bedrockClient(world.gateway.url, apiKey, maxAttempts);
    const headers: Record<string, string>[] = [];
    bedrock.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const response = result.response as { headers?: Record<string, string> };
        headers.push(response.headers ?? {});
        return result;
      },
      { step: 'deserialize', name: 'keepHeaders' },
    );
    return { bedrock, headers };
  }
  return { world, key, throttledKey, client };
}

/** Every event of a ConverseStream answer, read to its end. */
export async function collect(
  stream: AsyncIterable<ConverseStreamOutput> | undefined,
): Promise<ConverseStreamOutput[]> {
  if (stream === undefined) throw new Error('the answer has no stream');
  const events: ConverseStreamOutput[] = [];
  for await (const event of stream) events.push(event);
  return events;
}
