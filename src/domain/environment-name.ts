import { AppError } from '../errors.js';
import { holdsSecret, secretRefused } from './secrets.js';

export const MAX_NAME_LENGTH = 60;
// Characters that chat markup gives meaning to (links, mentions, @channel, code spans) or that hide or reorder text.
const MARKUP_CHARACTERS = /[<>&@`|]/u;
const INVISIBLE_CHARACTERS = /(?!\u200d)[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;

/** An environment's display name: 1 to 60 characters of text, without chat markup or invisible characters. */
export function parseEnvironmentName(text: string): string {
  const name = text.trim().replace(/\s+/gu, ' ');
  const length = [...name].length;
  const rule = `A name is 1 to ${MAX_NAME_LENGTH} characters, without < > & @ \` | or control characters.`;
  if (length === 0) throw new AppError('invalid_name', 'The --name is empty.', { hint: rule });
  if (length > MAX_NAME_LENGTH) throw new AppError('invalid_name', `The --name is ${length} characters long.`, { hint: rule });
  if (MARKUP_CHARACTERS.test(name) || INVISIBLE_CHARACTERS.test(name)) {
    throw new AppError('invalid_name', 'The --name contains characters that are not allowed.', { hint: rule });
  }
  if (holdsSecret(name)) throw secretRefused('invalid_name', '--name');
  return name;
}
