import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth, findTooDeepPath, maxJsonDepth } from './json-depth.ts';

/** `{"a":{"a":...}}` nested `levels` deep, parsed (JSON.parse takes any depth). */
const deepObject = (levels: number): unknown => JSON.parse('{"a":'.repeat(levels) + '1' + '}'.repeat(levels));
const deepArray = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));

describe('exceedsJsonDepth', () => {
  it('counts a bare container as depth 1 and a primitive as depth 0', () => {
    expect(exceedsJsonDepth('text', 0)).toBe(false);
    expect(exceedsJsonDepth({}, 1)).toBe(false);
    expect(exceedsJsonDepth([], 0)).toBe(true);
    expect(exceedsJsonDepth({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(exceedsJsonDepth({ a: [1, { b: 2 }] }, 2)).toBe(true);
  });

  it('walks a million levels without recursion (no stack overflow)', () => {
    expect(exceedsJsonDepth(deepArray(1_000_000))).toBe(true);
    expect(exceedsJsonDepth(deepObject(maxJsonDepth))).toBe(false);
    expect(exceedsJsonDepth(deepObject(maxJsonDepth + 1))).toBe(true);
  });
});

describe('findTooDeepPath', () => {
  it('is undefined within the limit', () => {
    expect(findTooDeepPath({ tools: [{ parameters: { type: 'object' } }] }, 4)).toBeUndefined();
  });

  it('names the first container past the limit, in document order', () => {
    const body = { model: 'm', tools: [{ ok: {} }, { parameters: { properties: { x: {} } } }] };
    expect(findTooDeepPath(body, 4)).toEqual(['tools', 1, 'parameters', 'properties']);
    expect(findTooDeepPath({ a: [[[1]], [[2]]] }, 2)).toEqual(['a', 0]);
  });

  it('stops at maxDepth + 1 keys on a value thousands of levels deep', () => {
    const path = findTooDeepPath(deepObject(100_000), 10);
    expect(path).toEqual(Array.from({ length: 10 }, () => 'a'));
  });
});
