import { completeToSchema, fitListsToSchema, repairTruncatedJson } from '../../src/gemini/json-repair';

const schema = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    objectives: { type: 'array', minItems: 2, items: { type: 'string' } },
    moments: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          seconds: { type: 'integer', minimum: 0 },
          title: { type: 'string' },
          kind: { type: 'string', enum: ['demo', 'talk'] },
        },
        required: ['seconds', 'title', 'kind'],
      },
    },
    note: { type: ['string', 'null'] },
  },
  required: ['topic', 'objectives', 'moments', 'note'],
};

describe('keeping what a truncated (MAX_TOKENS) answer said', () => {
  test('cuts back to the last complete value and closes what was open', () => {
    expect(repairTruncatedJson('{"topic":"Colour","moments":[{"seconds":4,"title":"Wheel"},{"seconds":9,"ti')).toEqual({
      topic: 'Colour',
      moments: [{ seconds: 4, title: 'Wheel' }, { seconds: 9 }],
    });
  });

  test('nothing usable gives undefined', () => {
    expect(repairTruncatedJson('{"top')).toBeUndefined();
  });

  test('completeToSchema drops the cut-off last element and fills missing required fields', () => {
    const partial = { topic: 'Colour', moments: [{ seconds: 4, title: 'Wheel', kind: 'demo' }, { seconds: 9 }] };
    expect(completeToSchema(partial, schema)).toEqual({
      topic: 'Colour',
      objectives: ['', ''],
      moments: [{ seconds: 4, title: 'Wheel', kind: 'demo' }],
      note: null,
    });
  });

  test('a cut-off element is kept (completed) when the array needs it to reach minItems', () => {
    const completed = completeToSchema(
      { topic: 'x', objectives: ['a', 'b'], moments: [{ seconds: 9 }], note: 'n' },
      schema,
    );
    expect(completed).toMatchObject({ moments: [{ seconds: 9, title: '', kind: 'demo' }] });
  });

  test('a complete answer is left as it is', () => {
    const whole = {
      topic: 'x',
      objectives: ['a', 'b'],
      moments: [{ seconds: 1, title: 't', kind: 'talk' }],
      note: null,
    };
    expect(completeToSchema(whole, schema)).toEqual(whole);
  });
});

describe('fitListsToSchema', () => {
  test('keeps an evenly spread selection of a list longer than maxItems, nested lists too', () => {
    const schema = {
      type: 'object',
      properties: {
        points: {
          type: 'array',
          maxItems: 3,
          items: { type: 'object', properties: { tags: { type: 'array', maxItems: 1, items: { type: 'string' } } } },
        },
        title: { type: 'string' },
      },
    };
    const merged = { title: 't', points: [0, 1, 2, 3, 4, 5, 6].map((n) => ({ n, tags: ['a', 'b'] })) };
    const fitted = fitListsToSchema(merged, schema) as { points: Array<{ n: number; tags: string[] }>; title: string };
    expect(fitted.points.map((p) => p.n)).toEqual([0, 3, 6]);
    expect(fitted.points.every((p) => p.tags.length === 1)).toBe(true);
    expect(fitted.title).toBe('t');
  });
});
