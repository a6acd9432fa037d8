import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { webApi } from '@slack/bolt';
import { AppError } from '../../errors.js';
import type { UploadFile } from '../types.js';
import { callSlack } from './api-errors.js';

/** The multipart part that carries the bytes, as the Web API client names it for `files.uploadV2`. */
export const UPLOAD_PART_NAME = 'body';
const UPLOAD_IDLE_TIMEOUT_MS = 60_000;

/** Bytes to upload: a stream of known length, and what to clean up afterwards. */
interface UploadSource {
  open(): NodeJS.ReadableStream;
  length: number;
  release(): Promise<void>;
}

/**
 * `files.uploadV2` done step by step: `files.getUploadURLExternal`, a multipart POST of the bytes to the upload URL,
 * then `files.completeUploadExternal` into the channel. The client's own `filesUploadV2` reads the whole file into
 * one Buffer; here a stream of unknown length is spooled to a temporary file and streamed from there, so memory
 * stays flat however large the export.
 */
export async function uploadFileToChannel(
  client: webApi.WebClient,
  channelId: string,
  file: UploadFile,
  options: { tempDir?: string } = {},
): Promise<void> {
  const source = file.length === undefined ? await spoolToTempFile(file.content, options.tempDir ?? tmpdir()) : streamOfKnownLength(file);
  try {
    if (source.length === 0) throw new AppError('internal', `${file.filename} is empty; Slack does not accept empty files.`);
    const target = await callSlack('files.getUploadURLExternal', () =>
      client.files.getUploadURLExternal({ filename: file.filename, length: source.length }),
    );
    if (!target.upload_url || !target.file_id) {
      throw new AppError('unavailable', 'Slack gave no upload URL for the file.', { retry: true });
    }
    await postMultipart(target.upload_url, file.filename, source);
    await callSlack('files.completeUploadExternal', () =>
      client.files.completeUploadExternal({
        files: [{ id: target.file_id!, title: file.title }],
        channel_id: channelId,
        initial_comment: file.comment,
      }),
    );
  } finally {
    await source.release();
  }
}

function streamOfKnownLength(file: UploadFile): UploadSource {
  return { open: () => file.content, length: file.length ?? 0, release: async () => undefined };
}

async function spoolToTempFile(content: NodeJS.ReadableStream, tempDir: string): Promise<UploadSource> {
  const dir = await mkdtemp(join(tempDir, 'aithroyz-upload-'));
  const path = join(dir, 'spool');
  const release = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(content, createWriteStream(path, { mode: 0o600 }));
    const { size } = await stat(path);
    return { open: () => createReadStream(path), length: size, release };
  } catch (error) {
    await release();
    throw error;
  }
}

function quoteFilename(filename: string): string {
  return filename.replace(/["\\\r\n]/g, '_');
}

/** Streams one multipart part with an exact Content-Length; a source that yields another length is an error. */
async function postMultipart(uploadUrl: string, filename: string, source: UploadSource): Promise<void> {
  const boundary = `----aithroyz${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${UPLOAD_PART_NAME}"; filename="${quoteFilename(filename)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(uploadUrl);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = send(url, {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
      'Content-Length': head.length + source.length + tail.length,
    },
  });
  // A stalled upload fails (and its job retries) instead of holding a worker forever.
  req.setTimeout(UPLOAD_IDLE_TIMEOUT_MS, () => req.destroy(new AppError('unavailable', 'The upload to Slack stalled.', { retry: true })));
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  // An unanswered request would be an unhandled rejection if the body fails first.
  answered.catch(() => undefined);
  await pipeline(exactBody(head, source, tail), req);
  const response = await answered;
  response.resume();
  if (response.statusCode !== 200) {
    throw new AppError('unavailable', `Slack's upload URL answered HTTP ${response.statusCode}.`, { retry: true });
  }
}

async function* exactBody(head: Buffer, source: UploadSource, tail: Buffer): AsyncGenerator<Buffer> {
  yield head;
  let sent = 0;
  for await (const chunk of source.open()) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    sent += bytes.length;
    if (sent > source.length) break;
    yield bytes;
  }
  if (sent !== source.length) {
    throw new AppError('internal', `The file stream gave ${sent} bytes where ${source.length} were announced.`);
  }
  yield tail;
}
