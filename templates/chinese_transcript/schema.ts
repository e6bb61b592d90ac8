import { z } from 'zod';

export const schema = z.object({
  title_zh: z.string().describe('视频标题的简体中文译名'),
  spoken_language: z.string().describe('视频中所说的语言，例如“英语”'),
  speakers: z
    .array(
      z.object({
        label: z.string().describe('逐字稿中使用的说话人标签'),
        description: z.string().describe('此人是谁、在视频中的角色'),
      }),
    )
    .min(1)
    .max(10),
  transcript: z
    .array(
      z.object({
        start_seconds: z.number().int().min(0).describe('本段开始的时间，从视频开头算起的整数秒'),
        speaker: z.string().describe('说话人标签，与 speakers 中的 label 一致'),
        text: z.string().describe('本段逐字内容（简体中文）'),
        on_screen: z.string().nullable().describe('本段画面上显示的内容；没有值得记录的画面时为 null'),
      }),
    )
    .min(1)
    .describe('按时间顺序覆盖整个视频的段落'),
  key_terms: z
    .array(
      z.object({
        english: z.string().describe('英文术语或名称'),
        chinese: z.string().describe('简体中文译名'),
        explanation: z.string().describe('一句话解释（简体中文）'),
      }),
    )
    .max(30),
  learning_summary: z.string().describe('以第一人称（“我”）写的学习总结，分段用空行隔开'),
  key_moments: z
    .array(
      z.object({
        seconds: z.number().int().min(0).describe('时刻，从视频开头算起的整数秒'),
        description: z.string().describe('这一时刻发生了什么、为什么重要'),
      }),
    )
    .min(1)
    .max(12),
});

export type ChineseTranscript = z.infer<typeof schema>;
