/**
 * Model text goes into Markdown that Obsidian renders, and Obsidian runs more than Markdown:
 * raw HTML, Templater's `<% %>`, Dataview's inline `= …` / `$= …` code and ```dataviewjs fences,
 * and it follows links and loads remote images.
 * So every string the model wrote is made inert before it reaches a template. Handlebars' own
 * escaping is off: it turns `=`, `'` and `"` into entities (`&#x3D;`), which is noise in Markdown.
 */

// An `&` only needs escaping when it would start a character reference; `Q&A` stays readable.
const ENTITY_LIKE = /&(?=#\d+;|#x[0-9a-f]+;|[a-z][a-z0-9]*;)/gi;
// C0 and C1 controls except tab and newline; they corrupt files and mean nothing in a note.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const BIDI_OVERRIDES = /[\u202a-\u202e\u2066-\u2069]/g;

/** Makes one model-written string safe to place anywhere in a Markdown body. */
export function escapeMarkdownText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      .replace(CONTROL, '')
      .replace(BIDI_OVERRIDES, '')
      .replace(ENTITY_LIKE, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      // Code spans and fences are where Dataview executes; a stray fence would also swallow the rest of the note.
      // Doubling the backslashes in front stops a model-written `\` from cancelling our escape.
      .replace(/(\\*)`/g, (_m, slashes: string) => `${slashes}${slashes}\\\``)
      .replace(/^([ \t]*)~~~/gm, '$1\\~~~')
      // Links and images the model wrote (`[x](javascript:…)`, `![](https://tracker)`) stay text;
      // Obsidian wikilinks `[[…]]` only point inside the vault and are left alone.
      .replace(/\]\(/g, ']\\(')
      // A link reference definition (`[r]: https://host/p.png`) works anywhere a paragraph can start:
      // in a list item, a quote, after indentation. Its `]:` is escaped wherever it appears, so no
      // model text can give `![x][r]` (here or in another string) a target.
      .replace(/(\\*)\]:/g, (_m, slashes: string) => `${slashes}${slashes}\\]:`)
      // Bare addresses become links in GFM renderers (`https://…`, `www.…`, `name@host.tld`): escaped
      // punctuation reads the same but is not linked, so the model cannot plant a link either.
      .replace(/:\/\//g, ':\\/\\/')
      .replace(/\b(www)\./gi, '$1\\.')
      .replace(/(\w)@(?=\w[\w-]*\.\w)/g, '$1\\@')
  );
}

/** Escapes every string inside a JSON value (model output, titles, parameters). */
export function escapeDeep(value: unknown): unknown {
  if (typeof value === 'string') return escapeMarkdownText(value);
  if (Array.isArray(value)) return value.map(escapeDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDeep(v)]));
  }
  return value;
}

/** For list items, headings and table cells, where a newline would end the construct. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function tableCell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}
