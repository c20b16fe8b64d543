/** A configured base URL split into what the pool needs (origin) and what each request needs (path, query). */
export interface UpstreamEndpoint {
  /** scheme://host[:port], the key of the shared pool. */
  readonly origin: string;
  /** The base path without a trailing slash ('' for the root), prefixed to every request path. */
  readonly basePath: string;
  /**
   * The base URL's query string with its `?` ('' when none), appended to every request: some
   * upstreams need a parameter on every call (Azure OpenAI's `api-version`).
   */
  readonly query: string;
}

/** Splits `base_url` (e.g. `https://api.openai.com/v1`) into origin, base path and query. */
export function parseUpstreamEndpoint(baseUrl: string): UpstreamEndpoint {
  const url = new URL(baseUrl);
  let basePath = url.pathname;
  while (basePath.endsWith('/')) basePath = basePath.slice(0, -1);
  return { origin: url.origin, basePath, query: url.search };
}
