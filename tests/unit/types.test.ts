import { addUsage, emptyUsage } from '../../src/types';

test('addUsage sums every counter', () => {
  const a = { promptTokens: 1, outputTokens: 2, thoughtsTokens: 3, totalTokens: 6 };
  expect(addUsage(a, a)).toEqual({ promptTokens: 2, outputTokens: 4, thoughtsTokens: 6, totalTokens: 12 });
  expect(addUsage(emptyUsage(), a)).toEqual(a);
});
