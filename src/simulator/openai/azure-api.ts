import type { Simulation } from '../simulation.ts';
import { headerValue, type SimHttpRequest, type SimHttpResponse } from '../sim-http.ts';
import type { OpenaiApi } from './openai-api.ts';

/**
 * Azure OpenAI in front of the simulated OpenAI endpoint (docs/protocols.md 2.6):
 * `POST /openai/deployments/{deployment}/chat/completions|embeddings?api-version=…`, authenticated by
 * an `api-key` header or an Entra ID bearer token (here: any of the OpenAI endpoint's keys). A
 * deployment is named after the model it serves (`gpt-4o-mini`). Once the Azure parts check out,
 * the call is the OpenAI endpoint's, so quotas, faults and the invocation log are shared.
 */

const deploymentPath = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;
/** `2024-10-21`, `2025-01-01-preview`. */
const apiVersionPattern = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

interface AzureError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const resourceNotFound: AzureError = { status: 404, code: '404', message: 'Resource not found' };

export class AzureOpenaiApi {
  private readonly sim: Simulation;
  private readonly openai: OpenaiApi;

  constructor(sim: Simulation, openai: OpenaiApi) {
    this.sim = sim;
    this.openai = openai;
  }

  /** Serves one request whose path starts with /openai/. */
  async handle(request: SimHttpRequest, http: SimHttpResponse): Promise<void> {
    const endpoint = this.sim.index.world.openai;
    const match = deploymentPath.exec(request.rawPath.replace(/\/+$/, ''));
    const apiVersion = request.query.get('api-version');
    // Azure answers a missing api-version as it does an unknown route.
    if (request.method !== 'POST' || match === null || apiVersion === null) {
      this.refuse(http, request, resourceNotFound);
      return;
    }
    if (!apiVersionPattern.test(apiVersion)) {
      this.refuse(http, request, { status: 400, code: 'BadRequest', message: 'API version not supported' });
      return;
    }
    const authorization = headerValue(request, 'authorization');
    const key =
      headerValue(request, 'api-key') ??
      (authorization?.startsWith('Bearer ') === true ? authorization.slice(7).trim() : undefined);
    if (key === undefined || !endpoint.api_keys.includes(key)) {
      this.refuse(http, request, {
        status: 401,
        code: '401',
        message:
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      });
      return;
    }
    const [, encodedDeployment = '', operation = ''] = match;
    let deployment: string;
    try {
      deployment = decodeURIComponent(encodedDeployment);
    } catch {
      deployment = encodedDeployment;
    }
    if (this.sim.index.endpointModel('openai', deployment) === undefined) {
      this.refuse(http, request, {
        status: 404,
        code: 'DeploymentNotFound',
        message:
          'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
      });
      return;
    }
    await this.openai.handle(
      {
        method: 'POST',
        rawPath: `/v1/${operation}`,
        query: new URLSearchParams(),
        headers: { ...request.headers, authorization: `Bearer ${key}` },
        body: withModel(request.body, deployment),
      },
      http,
      { azure: true },
    );
  }

  private refuse(http: SimHttpResponse, request: SimHttpRequest, error: AzureError): void {
    const requestId = this.sim.requestId();
    const body = JSON.stringify({ error: { code: error.code, message: error.message } });
    http.writeHead(error.status, {
      'apim-request-id': requestId,
      'x-request-id': requestId,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    });
    http.end(body);
    const endpoint = this.sim.index.world.openai;
    this.sim.recordRejected({
      requestId,
      accountId: endpoint.account,
      region: endpoint.region,
      inferenceRegion: undefined,
      modelId: request.rawPath,
      baseModelId: undefined,
      api: 'openai',
      operation: 'Azure',
      stream: false,
      status: error.status,
      errorCode: error.code,
      inputTokens: 0,
      outputTokens: 0,
      faultId: undefined,
    });
  }
}

/** The body with `model` set to the deployment's model (Azure ignores the body's); left alone if not a JSON object. */
function withModel(body: Buffer, model: string): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return body;
  return Buffer.from(JSON.stringify({ ...parsed, model }));
}
