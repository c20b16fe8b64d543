import { describe, expect, it } from 'vitest';
import { errorCodes, errorTable } from '../errors/error-table.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { dialects } from './dialect-registry.ts';

describe.each(dialects.map((dialect) => [dialect.name, dialect] as const))('dialect %s', (_name, dialect) => {
  it.each(errorCodes.map((code) => [code] as const))(
    '%s renders with the error table status, Retry-After on 429/503/529, its message in the body',
    (code) => {
      const entry = errorTable[code];
      const rendered = dialect.renderError(new GatewayError(`failure ${code}`, { code }));
      expect(rendered.status).toBe(entry.status);
      expect(rendered.headers['retry-after'] !== undefined).toBe([429, 503, 529].includes(entry.status));
      expect(rendered.body).toContain(`failure ${code}`);
    },
  );
});
