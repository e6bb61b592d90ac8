import Handlebars from 'handlebars';
import { BUILTIN_HELPERS, HELPER_NAMES } from './helpers';

/**
 * What a Handlebars source uses, read from its syntax tree rather than with regular expressions,
 * so `{{params.x}}`, `{{../params.x}}`, `{{@root.params.x}}` and `(lookup params "x")` are all seen
 * and text that merely looks like a mustache inside a comment is not.
 */
export interface TemplateUsage {
  /** Parameter keys referenced, with the first line each appears on. */
  params: Map<string, number>;
  unknownHelpers: Map<string, number>;
  /** Lines of `{{{…}}}` / `{{& …}}`. */
  unescaped: number[];
  /** Lines of `{{> partial}}`: there is no partial registry. */
  partials: number[];
}

export type AnalyseResult = { ok: true; usage: TemplateUsage } | { ok: false; error: string };

interface AstNode {
  type: string;
  loc?: { start: { line: number } };
  [key: string]: unknown;
}

const KNOWN_HELPERS = new Set<string>([...HELPER_NAMES, ...BUILTIN_HELPERS]);
const isNode = (v: unknown): v is AstNode =>
  typeof v === 'object' && v !== null && typeof (v as AstNode).type === 'string';

/** `Parse error on line 3: …` from the parser, or `if doesn't match each - 2:3` from the compiler. */
// The parser speaks in grammar tokens; say what the author most likely did instead.
const TOKEN_HINTS: Record<string, string> = {
  EOF: 'the template ends inside a block (a {{#…}} without its {{/…}})',
  OPEN_ENDBLOCK: 'a closing {{/…}} without a matching {{#…}}',
  INVERSE: 'an {{else}} where none is allowed',
  INVALID: 'a malformed mustache (check the braces)',
  CLOSE: 'an incomplete mustache (something is missing before the }})',
};

export function describeSyntaxError(err: unknown): string {
  const e = err as { message?: string; lineNumber?: number };
  const message = String(e.message ?? err);
  const parse = /^Parse error on line (\d+):\n([^\n]*)\n[^\n]*\n(.*)$/s.exec(message);
  if (parse) {
    const got = /got '([A-Z_]+)'/.exec(parse[3])?.[1] ?? '';
    const hint = TOKEN_HINTS[got] ?? parse[3].replace(/\s+/g, ' ').trim();
    return `syntax error at line ${parse[1]}: ${hint}, near "${parse[2].trim()}"`;
  }
  if (typeof e.lineNumber === 'number')
    return `syntax error at line ${e.lineNumber}: ${message.replace(/ - \d+:\d+$/, '')}`;
  return `syntax error: ${message}`;
}

function paramKeyOf(path: AstNode): string | undefined {
  const parts = path.parts as string[];
  if (path.data) return parts[0] === 'root' && parts[1] === 'params' ? parts[2] : undefined;
  return parts[0] === 'params' ? parts[1] : undefined;
}

export function analyseTemplate(source: string): AnalyseResult {
  let ast: AstNode;
  try {
    ast = Handlebars.parse(source) as unknown as AstNode;
    // The parser accepts some mistakes the compiler refuses (mismatched block names are checked here).
    Handlebars.precompile(source);
  } catch (err) {
    return { ok: false, error: describeSyntaxError(err) };
  }
  const usage: TemplateUsage = { params: new Map(), unknownHelpers: new Map(), unescaped: [], partials: [] };
  const lineOf = (node: AstNode) => node.loc?.start.line ?? 0;
  const note = (map: Map<string, number>, key: string, node: AstNode) => {
    if (!map.has(key)) map.set(key, lineOf(node));
  };

  const visit = (node: AstNode): void => {
    switch (node.type) {
      case 'PathExpression': {
        const key = paramKeyOf(node);
        if (key !== undefined) note(usage.params, key, node);
        break;
      }
      case 'MustacheStatement':
      case 'BlockStatement':
      case 'SubExpression': {
        const path = node.path as AstNode;
        const params = (node.params as AstNode[]) ?? [];
        const hashPairs = ((node.hash as AstNode | undefined)?.pairs as AstNode[] | undefined) ?? [];
        const isCall = node.type === 'SubExpression' || params.length > 0 || hashPairs.length > 0;
        if (isCall && path.type === 'PathExpression' && !path.data && (path.parts as string[]).length === 1) {
          const name = path.original as string;
          if (!KNOWN_HELPERS.has(name)) note(usage.unknownHelpers, name, node);
          if (
            name === 'lookup' &&
            params[0]?.type === 'PathExpression' &&
            params[0].original === 'params' &&
            params[1]?.type === 'StringLiteral'
          ) {
            note(usage.params, params[1].value as string, node);
          }
        }
        if (node.type === 'MustacheStatement' && node.escaped === false) usage.unescaped.push(lineOf(node));
        break;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        usage.partials.push(lineOf(node));
        break;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'loc') continue;
      if (Array.isArray(value)) value.filter(isNode).forEach(visit);
      else if (isNode(value)) visit(value);
    }
  };
  visit(ast);
  return { ok: true, usage };
}
