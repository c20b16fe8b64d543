import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DialectContractSubject } from './dialect.contract.ts';
import { runDialectContract } from './dialect.contract.ts';
import { dialects } from './dialect-registry.ts';

// Every folder of src/dialects/ brings its subject (<folder>/<folder>-sdk.contract.ts); every
// registered dialect must have one, so a new dialect cannot skip the contract.
const folders = readdirSync(new URL('.', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith('__'))
  .map((entry) => entry.name);
const subjects: DialectContractSubject[] = [];
for (const folder of folders) {
  const module = (await import(`./${folder}/${folder}-sdk.contract.ts`)) as {
    contractSubject: DialectContractSubject;
  };
  subjects.push(module.contractSubject);
}

describe('the dialect registry', () => {
  it('has a contract subject for every registered dialect, and registers every dialect folder', () => {
    expect(subjects.map((subject) => subject.dialect)).toEqual(expect.arrayContaining([...dialects]));
    expect(subjects).toHaveLength(dialects.length);
  });
});

for (const subject of subjects) {
  describe(`dialect contract: ${subject.dialect.name}`, () => {
    runDialectContract(subject);
  });
}
