/** Plausible, deterministic lesson prose about a video, for fake model answers. */
import type { Rng } from './util';

const topics = [
  'the key vocabulary',
  'a worked example',
  'common mistakes to avoid',
  'a hands-on exercise',
  'the underlying principle',
  'a quick recap of the basics',
  'practical tips for beginners',
  'a real-world application',
  'a step-by-step demonstration',
  'the main takeaway',
  'how to check your own work',
  'a comparison of two approaches',
];

const openers = [
  'In {title}, the instructor introduces {topic}.',
  'This part of {title} walks through {topic}.',
  '{title} uses {topic} to make the idea concrete.',
  'Here {title} focuses on {topic}.',
  'The lesson {title} returns to {topic} with a clear explanation.',
  'Learners watching {title} see {topic} in action.',
];

const followers = [
  'Students are encouraged to pause and try it themselves.',
  'The explanation is short and builds on the previous step.',
  'A diagram on screen reinforces the point.',
  'The instructor repeats the idea with a second example.',
  'This sets up the activity that follows.',
  'It is a good moment for a quick comprehension check.',
];

const verbs = ['explain', 'apply', 'identify', 'compare', 'demonstrate', 'describe'];

export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${pad(m)}:${pad(sec)}`;
}

export class Writer {
  constructor(
    private readonly rng: Rng,
    readonly title: string,
  ) {}

  topic(): string {
    return this.rng.pick(topics);
  }

  sentence(): string {
    return this.rng.pick(openers).replace('{title}', this.title).replace('{topic}', this.topic());
  }

  paragraph(sentences = 2): string {
    const out = [this.sentence()];
    for (let i = 1; i < sentences; i++) out.push(this.rng.pick(followers));
    return out.join(' ');
  }

  heading(): string {
    const t = this.topic();
    return `${this.title}: ${t.charAt(0).toUpperCase()}${t.slice(1)}`;
  }

  question(): string {
    return `In ${this.title}, how does the instructor ${this.rng.pick(verbs)} ${this.topic()}?`;
  }

  objective(): string {
    return `After watching ${this.title}, students will be able to ${this.rng.pick(verbs)} ${this.topic()}.`;
  }

  spoken(): string {
    return `"Let's look at ${this.topic()} — this is where ${this.title} gets interesting."`;
  }

  slug(): string {
    const base = `${this.title} ${this.topic()}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    return base.slice(0, 48).replace(/-$/, '');
  }

  /** A Markdown lesson outline with timestamps inside [start, end]. */
  markdown(start: number, end: number): string {
    const span = Math.max(1, end - start);
    const moments = 4;
    const lines = [`# ${this.title}`, '', '## Overview', '', this.paragraph(3), '', '## Key moments', ''];
    for (let i = 0; i < moments; i++) {
      const at = start + (span * i) / moments + this.rng.float(0, span / moments / 4);
      lines.push(`- [${formatClock(at)}] ${this.sentence()}`);
    }
    lines.push('', '## Learning objectives', '');
    for (let i = 0; i < 3; i++) lines.push(`${i + 1}. ${this.objective()}`);
    lines.push('', '## Activity', '', this.paragraph(2), '');
    return lines.join('\n');
  }
}
