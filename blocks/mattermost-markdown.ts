import { MENTION_PATTERN } from './view.js';

/**
 * Neutral view text → Mattermost markdown. Views use Slack-style markup (`*bold*`, `~strike~`, `<url|label>`,
 * mention tokens); Mattermost reads `**bold**`, `~~strike~~`, `[label](url)` and `@username`. Code spans and blocks
 * are left exactly as written.
 */
export function toMattermostMarkdown(text: string): string {
  return splitCode(text)
    .map((part) => (part.code ? part.text : convertProse(part.text)))
    .join('');
}

/** Plain text for places that show no markdown (titles, button names, notification fallbacks). */
export function toMattermostPlain(text: string): string {
  return text
    .replace(MENTION_PATTERN, (_match, _id: string, name: string) => `@${name}`)
    .replace(LINK_PATTERN, (_match, url: string, label: string | undefined) => label ?? url)
    .replace(/(^|[^\w*])\*([^*\n]+)\*(?=$|[^\w*])/g, '$1$2')
    .replace(/(^|[^\w~])~([^~\n]+)~(?=$|[^\w~])/g, '$1$2');
}

const LINK_PATTERN = /<((?:https?|mailto):[^|<>\s]+)(?:\|([^<>]*))?>/g;

function convertProse(text: string): string {
  return text
    .replace(MENTION_PATTERN, (_match, _id: string, name: string) => `@${name}`)
    .replace(LINK_PATTERN, (_match, url: string, label: string | undefined) => (label ? `[${label}](${url})` : url))
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?=$|[^\w*])/g, '$1**$2**')
    .replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?=$|[^\w~])/g, '$1~~$2~~');
}

interface TextPart {
  text: string;
  code: boolean;
}

/** Splits text into code (``` blocks and `spans`) and prose, so markup is only rewritten in prose. */
function splitCode(text: string): TextPart[] {
  const parts: TextPart[] = [];
  const codePattern = /```[\s\S]*?```|`[^`\n]*`/g;
  let last = 0;
  for (const match of text.matchAll(codePattern)) {
    if (match.index > last) parts.push({ text: text.slice(last, match.index), code: false });
    parts.push({ text: match[0], code: true });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), code: false });
  return parts;
}
