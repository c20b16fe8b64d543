import { describe, expect, it } from 'vitest';
import { reasoningBudgetTokens, reasoningEffortOf } from './chat-request.ts';

describe('reasoning effort and budget', () => {
  it('uses the budget the client gave, else the budget of its effort', () => {
    expect(reasoningBudgetTokens({ budgetTokens: 3000 })).toBe(3000);
    expect(reasoningBudgetTokens({ effort: 'low' })).toBe(2048);
    expect(reasoningBudgetTokens({ effort: 'high' })).toBe(16_384);
    expect(reasoningBudgetTokens({ effort: 'none' })).toBe(0);
    expect(reasoningBudgetTokens({})).toBe(8192);
  });

  it('uses the effort the client gave, else the nearest to its budget', () => {
    expect(reasoningEffortOf({ effort: 'minimal', budgetTokens: 50_000 })).toBe('minimal');
    expect(reasoningEffortOf({ budgetTokens: 0 })).toBe('none');
    expect(reasoningEffortOf({ budgetTokens: 1024 })).toBe('low');
    expect(reasoningEffortOf({ budgetTokens: 4096 })).toBe('medium');
    expect(reasoningEffortOf({ budgetTokens: 20_000 })).toBe('high');
    expect(reasoningEffortOf({})).toBe('medium');
  });
});
