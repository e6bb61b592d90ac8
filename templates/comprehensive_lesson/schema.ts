import { z } from 'zod';

// Whole seconds, so the note can link to the exact moment.
const seconds = (what: string) =>
  z.number().int().min(0).describe(`${what}, in whole seconds from the start of the video`);

const segment = z.object({
  start_seconds: seconds('Start of the segment'),
  end_seconds: seconds('End of the segment'),
});

const phase = z.object({
  minutes: z.number().int().min(1).describe('Minutes of class time for this phase'),
  goal: z.string().describe('What this phase achieves, in one sentence'),
  activities: z.array(z.string()).min(1).max(6).describe('Concrete steps the teacher and learners take, in order'),
  video_segments: z.array(segment).max(4).describe('Parts of the video to show in this phase; empty if none'),
});

export const schema = z.object({
  overview: z.object({
    topic: z.string().describe('The topic of the video in a short phrase'),
    subject_area: z.string().describe('School subject or discipline, e.g. "Visual arts – colour theory"'),
    summary: z.string().describe('Two or three sentences on what the video teaches and how'),
    target_audience: z.string().describe('Who the lesson suits: age or level, and the prior knowledge it assumes'),
    prerequisites: z.array(z.string()).max(6).describe('What learners should already know or be able to do'),
    materials: z.array(z.string()).max(10).describe('Equipment and materials needed for the lesson'),
    learning_objectives: z
      .array(z.string())
      .min(3)
      .max(6)
      .describe('Measurable objectives, each starting with an action verb'),
    key_concepts: z
      .array(
        z.object({
          term: z.string(),
          explanation: z.string().describe('One or two sentences a learner would understand'),
          first_seen_seconds: seconds('When the concept is first shown or explained'),
        }),
      )
      .min(1)
      .max(12),
  }),
  analysis: z
    .array(
      segment.extend({
        title: z.string().describe('Short title of the segment'),
        content: z.string().describe('What is said and shown in this segment'),
        teaching_notes: z
          .string()
          .describe('How to use the segment in class: what to point out, where to pause, what to ask'),
      }),
    )
    .min(1)
    .describe('The whole video as consecutive segments, in order, without gaps'),
  lesson_structure: z.object({
    introduction: phase,
    main: phase,
    conclusion: phase,
  }),
  key_moments: z
    .array(
      z.object({
        seconds: seconds('The moment'),
        title: z.string(),
        why_it_matters: z.string().describe('Why a teacher would jump to this moment'),
      }),
    )
    .min(3)
    .max(10),
  educational_value: z.object({
    learning_outcomes: z.array(z.string()).min(2).max(8).describe('What learners can do after the lesson'),
    discussion_questions: z.array(z.string()).min(2).max(6),
    follow_up_activities: z
      .array(
        z.object({
          title: z.string(),
          kind: z.enum(['practice', 'discussion', 'project', 'homework', 'assessment', 'extension']),
          description: z.string(),
        }),
      )
      .min(2)
      .max(6),
    differentiation: z.object({
      support: z.array(z.string()).max(4).describe('Ways to help learners who find the topic hard'),
      challenge: z.array(z.string()).max(4).describe('Ways to stretch learners who are ahead'),
    }),
    resources: z
      .array(
        z.object({
          title: z.string().describe('Title of a well-known book, tool, website, artwork or technique; no URLs'),
          kind: z.enum(['book', 'article', 'video', 'website', 'tool', 'artwork', 'other']),
          note: z.string().describe('Why it helps'),
        }),
      )
      .max(8),
  }),
});

export type ComprehensiveLesson = z.infer<typeof schema>;
