import fs from 'node:fs';
import path from 'node:path';
import { ContainerDuration } from '../media-duration';
import { tokensPerFrame } from '../generate-request';

const samples = path.resolve(__dirname, '..', '..', 'samples');

test.each([
  ['color-theory-intro.mp4', 12],
  ['stage-lighting-basics.mp4', 20],
  ['perspective-drawing.webm', 13.007],
])('%s: %d s read from its container, whatever the chunk size', (name, seconds) => {
  const data = fs.readFileSync(path.join(samples, name));
  for (const chunk of [5, 1000, 65_536, data.length]) {
    const reader = new ContainerDuration();
    for (let i = 0; i < data.length; i += chunk) reader.push(data.subarray(i, i + chunk));
    expect(reader.end()).toBeCloseTo(seconds, 6);
  }
});

test('a file that is no known container has no duration', () => {
  const reader = new ContainerDuration();
  reader.push(Buffer.from('this is not a video, just some text of a certain length'));
  expect(reader.end()).toBeUndefined();
});

test("tokens per frame follow each model family's guide", () => {
  expect(tokensPerFrame('gemini-3.8-flash', undefined)).toBe(70);
  expect(tokensPerFrame('gemini-3.8-flash', 'MEDIA_RESOLUTION_LOW')).toBe(70);
  expect(tokensPerFrame('models/gemini-3.1-pro-preview', 'MEDIA_RESOLUTION_HIGH')).toBe(280);
  expect(tokensPerFrame('gemini-2.5-flash-lite', undefined)).toBe(258);
  expect(tokensPerFrame('gemini-2.5-flash-lite', 'MEDIA_RESOLUTION_LOW')).toBe(66);
});
