import { loadTemplateDir } from './loader';
import { resolveParams } from './params';
import type { LoadedTemplate, TemplateProblem } from './types';

/**
 * Checks a template folder without using it: manifest, Handlebars syntax, declared parameters,
 * helpers, schema loading and conversion, and a trial render. With `given`, also checks that these
 * `--param` values are accepted and that every required parameter has a value.
 */
export function validateTemplateDir(dir: string, given?: Record<string, string>): TemplateProblem[] {
  const outcome = loadTemplateDir(dir);
  if (!outcome.template || given === undefined) return outcome.problems;
  return validateParams(outcome.template, given);
}

export function validateParams(template: LoadedTemplate, given: Record<string, string>): TemplateProblem[] {
  try {
    resolveParams(template, given);
    return [];
  } catch (err) {
    return [{ template: template.name, file: 'manifest.json', problem: (err as Error).message }];
  }
}
