import { z } from 'zod';

const seconds = (what: string) =>
  z.number().int().min(0).describe(`${what}, in whole seconds from the start of the video`);

export const schema = z.object({
  main_topic: z.string().describe('The main topic of the video in one sentence'),
  summary: z
    .string()
    .describe('The summary, in paragraphs separated by a blank line, within the requested number of words'),
  key_points: z
    .array(
      z.object({
        seconds: seconds('Where the point is made'),
        point: z.string().describe('The point as a short headline'),
        explanation: z.string().describe('One or two sentences that explain it'),
      }),
    )
    .min(3)
    .max(5),
  focus_areas: z
    .array(
      z.object({
        area: z.string().describe('The focus area exactly as requested'),
        findings: z
          .string()
          .describe('What the video says and shows about this area; say so plainly if it does not cover it'),
        seconds: z
          .number()
          .int()
          .min(0)
          .nullable()
          .describe('The most relevant moment in whole seconds, or null if the video does not cover the area'),
      }),
    )
    .describe('One entry per requested focus area, in the order given; empty when none were requested'),
  top_moments: z
    .array(
      z.object({
        seconds: seconds('The moment'),
        title: z.string(),
        description: z.string().describe('What happens and why it is worth watching'),
      }),
    )
    .min(1)
    .max(5),
  conclusion: z.string().describe('The takeaway in two or three sentences'),
});

export type SummaryReport = z.infer<typeof schema>;
