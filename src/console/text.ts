import { escapeHtml, trustedHtml, type SafeHtml } from '../web/html.js';

/** Plain text for reading: escaped, with `backticked` words shown as code (the hints of the core's refusals use them). */
export function prose(text: string): SafeHtml {
  return trustedHtml(
    text
      .split(/(`[^`]*`)/)
      .map((piece) => (piece.length >= 2 && piece.startsWith('`') && piece.endsWith('`') ? `<code>${escapeHtml(piece.slice(1, -1))}</code>` : escapeHtml(piece)))
      .join(''),
  );
}
