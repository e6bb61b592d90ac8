/** The structured-output fake: valid for the schema, deterministic, timestamps inside the video. */
import { z } from 'zod';
import { fakeFromSchema, mismatchFromSchema, validateAgainstSchema, type FakeContext } from '..';
import { sectionPlace } from './lesson-schema';

const ctx = (seed: string, range = { start: 0, end: 600 }): FakeContext => ({
  seed,
  title: 'Stage lighting basics',
  range,
});
const seeds = Array.from({ length: 40 }, (_, i) => `seed-${i}`);

const Node: z.ZodType<{ name: string; children: unknown[] }> = z.object({
  name: z.string(),
  get children() {
    return z.array(Node).max(2);
  },
});

const kitchenSink = z.object({
  title: z.string().min(5).max(80),
  summary: z.string(),
  level: z.enum(['beginner', 'intermediate', 'advanced']),
  durationMinutes: z.number().positive().optional(),
  rating: z.int().min(1).max(5),
  tags: z.array(z.string()).min(1).max(3),
  published: z.boolean(),
  note: z.string().nullable(),
  kind: z.literal('lesson'),
  either: z.union([z.string(), z.number()]),
  event: z.discriminatedUnion('type', [
    z.object({
      type: z.literal('quiz'),
      questions: z.array(z.object({ question: z.string(), answer: z.string() })).min(1),
    }),
    z.object({ type: z.literal('demo'), steps: z.array(z.string()).length(3) }),
  ]),
  sections: z
    .array(
      z.object({
        ...sectionPlace,
        timestamp: z.string().regex(/^\d{2}:\d{2}$/),
        moments: z.array(z.object({ atSeconds: z.int().nonnegative(), text: z.string() })).optional(),
      }),
    )
    .min(1)
    .max(8),
  scores: z.record(z.string(), z.number()),
  pair: z.tuple([z.string(), z.int()]),
  createdAt: z.iso.datetime(),
  day: z.iso.date(),
  contact: z.email(),
  id: z.uuid(),
  link: z.url(),
  tree: Node,
});

test("values from zod's JSON schemas parse with zod and with the built-in validator, for many seeds", () => {
  const schema = z.toJSONSchema(kitchenSink);
  for (const seed of seeds) {
    const value = fakeFromSchema(schema, ctx(seed));
    const parsed = kitchenSink.safeParse(value);
    if (!parsed.success)
      throw new Error(`${seed}: ${JSON.stringify(parsed.error.issues, null, 1)}\n${JSON.stringify(value, null, 1)}`);
    expect(validateAgainstSchema(value, schema)).toEqual([]);
  }
});

test('deterministic: same seed same value, other seeds differ', () => {
  const schema = z.toJSONSchema(kitchenSink);
  expect(fakeFromSchema(schema, ctx('a'))).toEqual(fakeFromSchema(schema, ctx('a')));
  const distinct = new Set(seeds.map((s) => JSON.stringify(fakeFromSchema(schema, ctx(s)))));
  expect(distinct.size).toBe(seeds.length);
});

test('timestamp-like numbers stay inside the range and increase along arrays; strings mention the title', () => {
  const schema = z.toJSONSchema(
    z.object({
      headline: z.string(),
      sections: z.array(z.object({ startSeconds: z.number(), endSeconds: z.number(), summary: z.string() })).min(2),
      keyMoments: z.array(z.object({ timestampSeconds: z.int(), description: z.string() })).min(3),
    }),
  );
  for (const seed of seeds) {
    const v = fakeFromSchema(schema, ctx(seed, { start: 120, end: 300 })) as {
      headline: string;
      sections: Array<{ startSeconds: number; endSeconds: number; summary: string }>;
      keyMoments: Array<{ timestampSeconds: number }>;
    };
    expect(v.headline).toContain('Stage lighting basics');
    let previousEnd = 120;
    for (const s of v.sections) {
      expect(s.startSeconds).toBeGreaterThanOrEqual(previousEnd - 1e-9);
      expect(s.endSeconds).toBeGreaterThanOrEqual(s.startSeconds);
      expect(s.endSeconds).toBeLessThanOrEqual(300);
      expect(s.summary).toContain('Stage lighting basics');
      previousEnd = s.endSeconds;
    }
    const times = v.keyMoments.map((m) => m.timestampSeconds);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(120);
      expect(t).toBeLessThanOrEqual(300);
    }
  }
});

test('Gemini-style schemas: upper-case types, nullable, propertyOrdering, numeric strings for limits', () => {
  const schema = {
    type: 'OBJECT',
    properties: {
      b: { type: 'ARRAY', items: { type: 'NUMBER', minimum: 2, maximum: 3 }, minItems: '2', maxItems: '2' },
      a: { type: 'STRING', nullable: true },
      c: { type: 'STRING', format: 'enum', enum: ['x', 'y'] },
      d: { anyOf: [{ type: 'INTEGER' }, { type: 'BOOLEAN' }] },
    },
    required: ['a', 'b', 'c', 'd'],
    propertyOrdering: ['c', 'b', 'a', 'd'],
  };
  for (const seed of seeds) {
    const v = fakeFromSchema(schema, ctx(seed)) as Record<string, unknown>;
    expect(validateAgainstSchema(v, schema)).toEqual([]);
    expect(Object.keys(v)).toEqual(['c', 'b', 'a', 'd']);
    expect((v.b as number[]).length).toBe(2);
  }
});

test('type arrays with "null" and anyOf with null produce nulls sometimes and values otherwise', () => {
  const schema = {
    type: 'object',
    properties: { x: { type: ['string', 'null'] }, y: { anyOf: [{ type: 'integer' }, { type: 'null' }] } },
    required: ['x', 'y'],
  };
  const values = seeds.map((s) => fakeFromSchema(schema, ctx(s)) as { x: unknown; y: unknown });
  expect(values.some((v) => v.x === null)).toBe(true);
  expect(values.some((v) => typeof v.x === 'string')).toBe(true);
  expect(values.some((v) => Number.isInteger(v.y))).toBe(true);
  for (const v of values) expect(validateAgainstSchema(v, schema)).toEqual([]);
});

test('mismatchFromSchema returns JSON the schema rejects', () => {
  const schemas = [
    z.toJSONSchema(kitchenSink),
    z.toJSONSchema(z.array(z.string())),
    z.toJSONSchema(z.string()),
    z.toJSONSchema(z.object({ optionalOnly: z.number().optional() }).strict()),
    { type: 'NUMBER' },
  ];
  for (const schema of schemas) {
    const bad = mismatchFromSchema(schema, ctx('m'));
    expect(validateAgainstSchema(bad, schema).length).toBeGreaterThan(0);
  }
});

test('the validator reports what is wrong', () => {
  const schema = z.toJSONSchema(z.object({ a: z.int().max(3), b: z.array(z.string()).min(2), c: z.enum(['x']) }));
  const errors = validateAgainstSchema({ a: 4.5, b: ['only one'], c: 'y', extra: 1 }, schema);
  expect(errors).toEqual(
    expect.arrayContaining([
      expect.stringContaining('$.a: must be integer'),
      expect.stringContaining('$.b: needs at least 2 items'),
      expect.stringContaining('$.c: must be one of'),
      expect.stringContaining('unexpected property "extra"'),
    ]),
  );
  expect(validateAgainstSchema({ b: [] }, schema)).toEqual(
    expect.arrayContaining([expect.stringContaining('missing required property "a"')]),
  );
});
