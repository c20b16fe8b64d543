import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { createTelemetry, serverAddressOf } from './create-telemetry.ts';
import { parsePrometheusText, sumSamples } from '../../test/support/telemetry/prometheus-text.ts';
import { scriptedEvents } from '../../test/support/telemetry/scripted-events.ts';

const config = configSchema.parse({
  providers: {
    'bedrock-a': { type: 'bedrock', region: 'us-east-1' },
    anthropic: { type: 'anthropic' },
  },
  models: {
    sonnet: {
      deployments: [
        { id: 'sonnet-east', provider: 'bedrock-a', model: 'anthropic.claude-sonnet' },
        { id: 'sonnet-west', provider: 'bedrock-a', model: 'anthropic.claude-sonnet' },
      ],
    },
  },
});

function memory(): { destination: { write: (chunk: string) => void }; text: () => string } {
  const chunks: string[] = [];
  return { destination: { write: (chunk) => chunks.push(chunk) }, text: () => chunks.join('') };
}

describe('createTelemetry', () => {
  it('feeds metrics and the access log from one sink; traces stay off by default', async () => {
    const log = memory();
    const telemetry = await createTelemetry({ config, env: {}, accessLogDestination: log.destination });
    expect(telemetry.tracing).toBeUndefined();
    for (const event of scriptedEvents) telemetry.sink.emit(event);
    expect(telemetry.traceparentFor('req-4')).toBeUndefined();
    const families = parsePrometheusText(await telemetry.metrics!.registry.metrics());
    expect(sumSamples(families, 'spillway_requests_total')).toBe(4);
    // every configured deployment has a breaker gauge from the start
    expect(sumSamples(families, 'spillway_circuit_state', { deployment: 'sonnet-west' })).toBe(0);
    await telemetry.accessLog?.flush();
    expect(
      log
        .text()
        .split('\n')
        .filter((line) => line.includes('"request finished"')),
    ).toHaveLength(4);
    await telemetry.shutdown();
  });

  it('turns parts off by config and traces on by config', async () => {
    const off = await createTelemetry({
      config: { ...config, telemetry: { metrics: false, access_log: false, traces: true } },
      env: {},
    });
    expect(off.metrics).toBeUndefined();
    expect(off.accessLog).toBeUndefined();
    off.sink.emit({ type: 'request-started', requestId: 'r', tenant: 't', group: 'sonnet', stream: false });
    expect(off.traceparentFor('r')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    await off.shutdown();
  });

  it('knows each provider type’s upstream host', () => {
    expect(serverAddressOf(config.providers['bedrock-a'])).toBe('bedrock-runtime.us-east-1.amazonaws.com');
    expect(serverAddressOf(config.providers['anthropic'])).toBe('api.anthropic.com');
    expect(serverAddressOf({ type: 'openai', base_url: 'http://127.0.0.1:9000/v1' })).toBe('127.0.0.1');
    expect(serverAddressOf(undefined)).toBeUndefined();
  });
});
