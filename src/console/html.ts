/**
 * HTML written with a tagged template that escapes every value put into it: text can never become markup. Markup made
 * by `html` (or marked `trusted`) goes in as it is; lists of either are joined.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

function render(part: Part): string {
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  if (part === null || part === undefined || part === false) return '';
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  for (let index = 0; index < values.length; index += 1) out += render(values[index]) + (strings[index + 1] ?? '');
  return new Html(out);
}

/** Markup from a source that is itself safe (a constant): never text from a request or the database. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** Plain text for reading: escaped, with `backticked` words shown as code (the hints of refusals use them). */
export function prose(text: string): Html {
  return new Html(
    text
      .split(/(`[^`]*`)/)
      .map((piece) => (piece.length >= 2 && piece.startsWith('`') && piece.endsWith('`') ? `<code>${escapeHtml(piece.slice(1, -1))}</code>` : escapeHtml(piece)))
      .join(''),
  );
}
