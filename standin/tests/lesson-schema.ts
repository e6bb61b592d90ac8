import { z } from 'zod';

/** A lesson section's place in the video: the fields the stand-in's schema-driven tests all ask for. */
export const sectionPlace = {
  heading: z.string(),
  startSeconds: z.number().min(0),
  endSeconds: z.number().min(0),
};
