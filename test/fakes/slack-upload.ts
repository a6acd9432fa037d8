import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';

/** What arrived at an upload URL: the file's bytes (on disk, so large uploads stay out of memory). */
export interface ReceivedUpload {
  path: string;
  size: number;
  /** `multipart` with the part's field name, or `raw` for a bare body. */
  encoding: 'multipart' | 'raw';
  partName?: string;
}

/**
 * Receives the bytes POSTed to an upload URL, as raw bytes or as one multipart/form-data part, streaming them to
 * `path`. Throws with a reason when the multipart framing is wrong.
 */
export async function receiveUpload(req: IncomingMessage, path: string): Promise<ReceivedUpload> {
  const rawPath = `${path}.raw`;
  await pipeline(req, createWriteStream(rawPath));
  const contentType = req.headers['content-type'] ?? '';
  const boundary = /^multipart\/form-data;\s*boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) {
    await rename(rawPath, path);
    return { path, size: (await stat(path)).size, encoding: 'raw' };
  }
  try {
    const { start, end, partName } = await locatePart(rawPath, boundary);
    if (end > start) await pipeline(createReadStream(rawPath, { start, end: end - 1 }), createWriteStream(path));
    else await writeFile(path, '');
    return { path, size: end - start, encoding: 'multipart', ...(partName ? { partName } : {}) };
  } finally {
    await rm(rawPath, { force: true });
  }
}

/** Finds the byte range of the only part: after its headers, before the closing boundary. */
async function locatePart(rawPath: string, boundary: string): Promise<{ start: number; end: number; partName: string | undefined }> {
  const file = await open(rawPath, 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(Math.min(size, 8192));
    await file.read(head, 0, head.length, 0);
    const opening = `--${boundary}\r\n`;
    if (!head.subarray(0, opening.length).equals(Buffer.from(opening))) throw new Error('multipart body does not open with its boundary');
    const headerEnd = head.indexOf('\r\n\r\n');
    if (headerEnd === -1) throw new Error('multipart part headers do not end');
    const headers = head.subarray(opening.length, headerEnd).toString('utf8');
    const partName = /name="([^"]*)"/.exec(headers)?.[1];
    const closing = Buffer.from(`\r\n--${boundary}--`);
    const tailLength = Math.min(size, closing.length + 2);
    const tail = Buffer.alloc(tailLength);
    await file.read(tail, 0, tailLength, size - tailLength);
    const closingAt = tail.lastIndexOf(closing);
    if (closingAt === -1) throw new Error('multipart body does not close with its boundary');
    return { start: headerEnd + 4, end: size - tailLength + closingAt, partName };
  } finally {
    await file.close();
  }
}
