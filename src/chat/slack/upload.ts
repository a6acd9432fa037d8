import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { webApi } from '@slack/bolt';
import { AppError } from '../../errors.js';
import type { UploadFile } from '../types.js';
import { callSlack } from './api-errors.js';

/** The multipart part that carries the bytes, as the Web API client names it for `files.uploadV2`. */
export const UPLOAD_PART_NAME = 'body';
const UPLOAD_TYPE = 'application/octet-stream';
/** A stalled upload fails (and its job retries) instead of holding a worker forever. */
const UPLOAD_IDLE_TIMEOUT_MS = 60_000;

/**
 * `files.uploadV2` done step by step: `files.getUploadURLExternal` with the file's length, a multipart POST of the
 * bytes to the upload URL, then `files.completeUploadExternal` into the channel. The client's own `filesUploadV2` reads
 * the whole file into one Buffer; here the stream is spooled to a temporary file (which also gives its length) and
 * posted from there as a file-backed Blob in Node's FormData, so memory stays flat however large the export.
 */
export async function uploadFileToChannel(
  client: webApi.WebClient,
  channelId: string,
  file: UploadFile,
  options: { tempDir?: string } = {},
): Promise<void> {
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'aithroyz-upload-'));
  try {
    const path = join(dir, 'spool');
    await pipeline(file.content, createWriteStream(path, { mode: 0o600 }));
    const { size } = await stat(path);
    if (size === 0) throw new AppError('internal', `${file.filename} is empty; Slack does not accept empty files.`);
    const target = await callSlack('files.getUploadURLExternal', () => client.files.getUploadURLExternal({ filename: file.filename, length: size }));
    if (!target.upload_url || !target.file_id) {
      throw new AppError('unavailable', 'Slack gave no upload URL for the file.', { retry: true });
    }
    await postFile(target.upload_url, file.filename, path);
    await callSlack('files.completeUploadExternal', () =>
      client.files.completeUploadExternal({
        files: [{ id: target.file_id!, title: file.title }],
        channel_id: channelId,
        initial_comment: file.comment,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * POSTs the file as Node's FormData encodes it (one part, named as the Web API client names it). fetch would hold a
 * large body in memory while sending it, so the encoded bytes go through `http.request` with backpressure instead, with
 * the exact Content-Length Slack's own client sends: the encoding's framing (measured on the same form without the
 * bytes) plus the file's size.
 */
async function postFile(uploadUrl: string, filename: string, path: string): Promise<void> {
  const file = await openAsBlob(path, { type: UPLOAD_TYPE });
  const framing = await byteLength(encode(formOf(new Blob([], { type: UPLOAD_TYPE }), filename)).body);
  const { contentType, body } = encode(formOf(file, filename));
  const length = framing + file.size;
  const url = new URL(uploadUrl);
  const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
    method: 'POST',
    headers: { 'Content-Type': contentType, 'Content-Length': length },
  });
  req.setTimeout(UPLOAD_IDLE_TIMEOUT_MS, () => req.destroy(new AppError('unavailable', 'The upload to Slack stalled.', { retry: true })));
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  // An unanswered request would be an unhandled rejection if the body fails first.
  answered.catch(() => undefined);
  await pipeline(body, exactly(length), req);
  const response = await answered;
  response.resume();
  if (response.statusCode !== 200) {
    throw new AppError('unavailable', `Slack's upload URL answered HTTP ${response.statusCode}.`, { retry: true });
  }
}

function formOf(file: Blob, filename: string): FormData {
  const form = new FormData();
  form.append(UPLOAD_PART_NAME, file, filename);
  return form;
}

/** A form as fetch would send it: its content type (with the boundary) and a stream of its bytes. */
function encode(form: FormData): { contentType: string; body: Readable } {
  const encoded = new Response(form);
  return { contentType: encoded.headers.get('content-type') ?? 'multipart/form-data', body: Readable.fromWeb(encoded.body!) };
}

async function byteLength(stream: Readable): Promise<number> {
  let total = 0;
  for await (const chunk of stream) total += (chunk as Uint8Array).byteLength;
  return total;
}

/** Passes the bytes on, failing if they are not exactly `length` (the announced Content-Length). */
function exactly(length: number): Transform {
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      callback(sent > length ? new AppError('internal', `The upload body passed its announced ${length} bytes.`) : null, chunk);
    },
    flush(callback) {
      callback(sent === length ? null : new AppError('internal', `The upload body gave ${sent} bytes where ${length} were announced.`));
    },
  });
}
