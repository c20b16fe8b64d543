import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { expect } from 'vitest';

/** The openai SDK pointed at a gateway, its own retries off (the gateway's retries are under test). */
export function openaiClient(gatewayUrl: string, apiKey = 'sk-anonymous'): OpenAI {
  return new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey, maxRetries: 0, timeout: 20_000 });
}

/** The @anthropic-ai/sdk client pointed at a gateway, its own retries off. */
export function anthropicClient(gatewayUrl: string, apiKey = 'sk-anonymous'): Anthropic {
  return new Anthropic({ baseURL: gatewayUrl, apiKey, maxRetries: 0, timeout: 20_000 });
}

/** A tool definition in the OpenAI dialect. */
export const weatherToolOpenai: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    },
  },
};

/** The same tool in the Anthropic dialect. */
export const weatherToolAnthropic: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

/** The route headers every served request carries (README.md, "Try it"). */
export interface RouteHeaders {
  readonly requestId: string;
  readonly deployment: string;
  readonly modelGroup: string;
  readonly region: string | null;
  readonly attempts: number;
}

/** Reads (and checks the presence of) the gateway's route headers. */
export function routeHeaders(headers: Headers): RouteHeaders {
  const requestId = headers.get('x-request-id');
  const deployment = headers.get('x-spillway-deployment');
  const modelGroup = headers.get('x-spillway-model-group');
  const attempts = headers.get('x-spillway-attempts');
  expect(requestId, 'x-request-id').toBeTruthy();
  expect(deployment, 'x-spillway-deployment').toBeTruthy();
  expect(modelGroup, 'x-spillway-model-group').toBeTruthy();
  expect(attempts, 'x-spillway-attempts').toMatch(/^\d+$/);
  return {
    requestId: requestId ?? '',
    deployment: deployment ?? '',
    modelGroup: modelGroup ?? '',
    region: headers.get('x-spillway-region'),
    attempts: Number(attempts),
  };
}
