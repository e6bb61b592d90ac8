import { z } from 'zod';

export const schema = z.object({
  title: z.string().describe('A title for the quiz'),
  instructions: z.string().describe('One or two sentences of instructions for learners'),
  questions: z
    .array(
      z.object({
        type: z.enum(['multiple_choice', 'true_false', 'short_answer']),
        difficulty: z.enum(['easy', 'medium', 'hard']),
        skill: z
          .enum(['remember', 'understand', 'apply', 'analyse', 'evaluate'])
          .describe("The thinking skill the question tests (Bloom's taxonomy)"),
        question: z.string(),
        choices: z
          .array(z.string())
          .max(5)
          .describe(
            'multiple_choice: 4 options without letters; true_false: exactly ["True", "False"]; short_answer: empty',
          ),
        correct_choice: z
          .number()
          .int()
          .min(0)
          .max(4)
          .nullable()
          .describe('Index (from 0) of the correct choice; null for short_answer'),
        answer: z
          .string()
          .describe('The correct answer in words; for short_answer, a model answer of one to three sentences'),
        explanation: z.string().describe('Why this is the answer, as the video explains it'),
        seconds: z
          .number()
          .int()
          .min(0)
          .describe('Where the video shows or explains the answer, in whole seconds from its start'),
      }),
    )
    .min(1)
    .max(40),
});

export type Quiz = z.infer<typeof schema>;
