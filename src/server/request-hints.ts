import type { CacheControl } from '../pipeline/gateway.ts';

/** Request headers the edge reads into the request context for the stages (cache, router). */

/** The `cache-control` request directives the response cache honours; undefined when neither is sent. */
export function parseCacheControl(header: string | undefined): CacheControl | undefined {
  if (header === undefined) return undefined;
  const directives = header.toLowerCase();
  const noStore = /(?:^|[\s,])no-store(?:$|[\s,=])/.test(directives);
  const noCache = noStore || /(?:^|[\s,])no-cache(?:$|[\s,=])/.test(directives);
  return noCache ? { noCache, noStore } : undefined;
}

/** At most 32 tags of at most 64 characters each are read from `x-spillway-tags` (comma-separated). */
export function parseTags(header: string | string[] | undefined): readonly string[] | undefined {
  if (Array.isArray(header)) return parseTags(header.join(','));
  if (header === undefined || header === '') return undefined;
  const tags: string[] = [];
  for (const raw of header.slice(0, 4096).split(',')) {
    const tag = raw.trim();
    if (tag !== '' && tag.length <= 64) tags.push(tag);
    if (tags.length === 32) break;
  }
  return tags.length === 0 ? undefined : tags;
}
