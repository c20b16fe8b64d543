import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact-secrets.ts';

describe('redactSecrets', () => {
  it('masks credential fields and key-like strings anywhere, keeping the rest', () => {
    const input = {
      headers: { Authorization: 'Bearer abc.def.ghi', 'x-api-key': 'anything', accept: 'application/json' },
      messages: [
        { role: 'user', content: 'my key is sk-proj-ABCDEFGHIJKLMNOP and sk-spw-0123456789abcdef please' },
        {
          role: 'user',
          content: 'aws AKIAIOSFODNN7EXAMPLE secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        },
        { role: 'user', content: 'curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload"' },
      ],
      count: 3,
    };
    const out = JSON.stringify(redactSecrets(input));
    for (const secret of [
      'abc.def.ghi',
      'anything',
      'sk-proj-ABCDEFGHIJKLMNOP',
      'sk-spw-0123',
      'AKIAIOSFODNN7EXAMPLE',
      'wJalrXUtnFEMI',
      'eyJhbGci',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('application/json');
    expect(out).toContain('secret_access_key=[REDACTED]');
    expect(out).toContain('"count":3');
  });
});
