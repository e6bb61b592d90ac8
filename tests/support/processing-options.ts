import type { ProcessingOptions } from '../../src/types';

/** Processing options as the CLI would build them with no flags, for tests and benchmarks. */
export function processingOptions(outputDir: string, overrides: Partial<ProcessingOptions> = {}): ProcessingOptions {
  return {
    template: 'comprehensive_lesson',
    templateParams: {},
    models: ['gemini-3.8-flash', 'gemini-3.5-flash-lite'],
    outputDir,
    outputPattern: '{template}/{name}.md',
    templateDirs: [],
    force: false,
    keepUploads: false,
    failureGraceSeconds: 0,
    ...overrides,
  };
}
