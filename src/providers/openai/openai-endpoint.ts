/**
 * Where and how an OpenAI-compatible deployment is called: the base URL of its requests and the
 * headers that authenticate them. OpenAI itself: `{base_url}/chat/completions` with
 * `Authorization: Bearer`. Azure OpenAI (docs/protocols.md 2.6): the deployment in the path, an
 * `api-version` on every call, and the key in `api-key` or an Entra ID token as bearer.
 */

/** How one OpenAI-compatible provider is reached (its config entry's fields, as plain values). */
export interface OpenAIEndpointSettings {
  /** The API root (`.../v1`, or Azure's `https://RESOURCE.openai.azure.com/openai`); its query is kept. */
  readonly base_url: string;
  /** The key or token; sent as `auth_header` says when set and not empty. */
  readonly api_key?: string | undefined;
  /** Extra headers sent with every request (names lower-cased); they win over the auth header. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** `?api-version=` added to every call (replacing one in base_url). */
  readonly api_version?: string | undefined;
  /** `{base_url}/deployments/{model}`: the deployment's model names the Azure deployment. */
  readonly deployment_paths?: boolean | undefined;
  /** `authorization` (Bearer, default) or `api-key` (Azure key header). */
  readonly auth_header?: 'authorization' | 'api-key' | undefined;
}

export interface OpenAIEndpoint {
  /** The URL `/chat/completions` and `/embeddings` are appended to (its query kept on each). */
  readonly baseUrl: string;
  /** content-type, auth and the configured extra headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The endpoint of the deployment whose upstream model (or Azure deployment name) is `modelId`. */
export function openAIEndpoint(config: OpenAIEndpointSettings, modelId: string): OpenAIEndpoint {
  const url = new URL(config.base_url);
  if (config.deployment_paths === true) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/deployments/${encodeURIComponent(modelId)}`;
  }
  if (config.api_version !== undefined && config.api_version !== '')
    url.searchParams.set('api-version', config.api_version);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (config.api_key !== undefined && config.api_key.length > 0) {
    if (config.auth_header === 'api-key') headers['api-key'] = config.api_key;
    else headers['authorization'] = `Bearer ${config.api_key}`;
  }
  // Configured headers last: an OpenAI-compatible server may want its own auth header instead.
  if (config.headers !== undefined)
    for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
  return { baseUrl: url.href, headers };
}
