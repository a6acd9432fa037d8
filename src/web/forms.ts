import type { HttpApp } from '../http/server.js';

/** What an HTML form posts: each field's last value by name. */
export type FormFields = Record<string, string>;

/** Form posts are small: a command line, a dialog's fields. */
const FORM_LIMIT_BYTES = 64 * 1024;

/**
 * Makes a door read `application/x-www-form-urlencoded` bodies (what HTML forms send) into `FormFields`. Call it in
 * the door, so other doors keep their own parsers.
 */
export function acceptForms(door: HttpApp): void {
  door.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_request, body, done) => {
    const fields: FormFields = {};
    for (const [name, value] of new URLSearchParams(String(body))) fields[name] = value;
    done(null, fields);
  });
}

/** The fields of a form post (empty when the body was no form). */
export function formFieldsOf(body: unknown): FormFields {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) return {};
  return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
