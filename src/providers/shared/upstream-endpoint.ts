/** A configured base URL split into what the pool needs (origin) and what each request needs (path). */
export interface UpstreamEndpoint {
  /** scheme://host[:port], the key of the shared pool. */
  readonly origin: string;
  /** The base path without a trailing slash ('' for the root), prefixed to every request path. */
  readonly basePath: string;
}

/** Splits `base_url` (e.g. `https://api.openai.com/v1`) into origin and base path. */
export function parseUpstreamEndpoint(baseUrl: string): UpstreamEndpoint {
  const url = new URL(baseUrl);
  let basePath = url.pathname;
  while (basePath.endsWith('/')) basePath = basePath.slice(0, -1);
  return { origin: url.origin, basePath };
}
