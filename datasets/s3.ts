/**
 * The S3 side of artifact and checkpoint storage: where (`s3://bucket/prefix`), the client (the standard
 * AWS environment variables), and the few operations the stores need — each streamed (no file is held in
 * memory whole), retried by the SDK, and failing with an error that names the bucket and key.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** An S3 location: a bucket and a key prefix (no leading or trailing `/`; may be empty). */
export interface S3Location {
  bucket: string;
  prefix: string;
}

// S3's bucket naming rules (3–63 characters of lowercase letters, digits, '.' and '-').
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses `s3://bucket[/prefix]`; null for anything that is not an s3:// URL (a filesystem path). Throws,
 * naming `name` and the value, on an s3:// URL with a bucket S3 would refuse.
 */
export function parseS3Url(value: string, name = 'BRAISE_ARTIFACTS'): S3Location | null {
  if (!value.startsWith('s3://')) return null;
  const rest = value.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!BUCKET_RE.test(bucket)) {
    throw new Error(`${name}: "${value}" names no valid bucket: expected s3://<bucket>/<prefix>, the bucket 3–63 lowercase letters, digits, '.' or '-'`);
  }
  return { bucket, prefix };
}

/** `s3://bucket/prefix/key`, for messages and artifact uris. */
export function s3Url(loc: S3Location, key = ''): string {
  return `s3://${loc.bucket}/${[loc.prefix, key].filter((p) => p !== '').join('/')}`;
}

/**
 * An S3 client from the standard AWS variables: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (an S3-compatible
 * server), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_REGION (default us-east-1). Path-style addressing
 * (`endpoint/bucket/key`, what MinIO and most S3-compatible servers want) when BRAISE_S3_FORCE_PATH_STYLE=1,
 * or by default whenever an endpoint is set.
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const flag = env.BRAISE_S3_FORCE_PATH_STYLE;
  const forcePathStyle = flag === undefined || flag === '' ? endpoint !== undefined : flag === '1' || flag === 'true';
  // Braise runs on Node 20.19+; the SDK's notice that its releases after January 2027 will want Node 22 would
  // otherwise print on the stderr of every command that reaches S3 (the installed version works on 20).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    forcePathStyle,
    ...(endpoint !== undefined ? { endpoint } : {}),
    // Keys in `env` are used as given; without them the SDK's default chain applies (profiles, instance roles).
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
  });
}

/** The HTTP status of an S3 error, if it is one. */
export function s3Status(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

/** `err` rethrown as an Error naming the object (`s3://bucket/key: <what>: <message>`), the original as its cause. */
export function s3Error(loc: S3Location, key: string, what: string, err: unknown): Error {
  const message = err instanceof Error ? err.message || err.name : String(err);
  return new Error(`${s3Url({ bucket: loc.bucket, prefix: '' }, key)}: ${what} failed: ${message}`, { cause: err });
}

/** The full key of `rel` under the location's prefix. */
export function keyOf(loc: S3Location, rel: string): string {
  return loc.prefix === '' ? rel : `${loc.prefix}/${rel}`;
}

/** Fails with a clear message when the bucket cannot be reached (missing, no access, no server). */
export async function checkBucket(client: S3Client, loc: S3Location): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: loc.bucket }));
  } catch (err) {
    const status = s3Status(err);
    const why = status === 404 ? 'no such bucket' : status === 403 ? 'access denied' : err instanceof Error ? err.message || err.name : String(err);
    throw new Error(`artifact storage ${s3Url(loc)}: bucket "${loc.bucket}" is not usable (${why}); create it, or check AWS_ENDPOINT_URL and the credentials`, { cause: err });
  }
}

/** Whether the object exists (HEAD). */
export async function objectExists(client: S3Client, loc: S3Location, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: key }));
    return true;
  } catch (err) {
    if (s3Status(err) === 404) return false;
    throw s3Error(loc, key, 'HEAD', err);
  }
}

/** A small object's text, or null when it does not exist. */
export async function getText(client: S3Client, loc: S3Location, key: string): Promise<string | null> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    return res.Body ? await res.Body.transformToString('utf8') : '';
  } catch (err) {
    if (s3Status(err) === 404) return null;
    throw s3Error(loc, key, 'GET', err);
  }
}

/**
 * Puts a small text object. `ifAbsent`: only if no object has the key (a conditional put, `If-None-Match: *`);
 * returns false when one did (another writer got there first).
 */
export async function putText(client: S3Client, loc: S3Location, key: string, text: string, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
  try {
    await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: key, Body: text, ContentType: 'application/json', ...(opts.ifAbsent ? { IfNoneMatch: '*' } : {}) }));
    return true;
  } catch (err) {
    // 412: the object exists; 409: a concurrent conditional put of the same key is in flight (S3 asks to retry).
    const status = s3Status(err);
    if (opts.ifAbsent && (status === 412 || status === 409)) return false;
    throw s3Error(loc, key, 'PUT', err);
  }
}

/** Uploads a local file, streamed (multipart above 5 MiB). */
export async function uploadFile(client: S3Client, loc: S3Location, key: string, file: string): Promise<void> {
  try {
    await new Upload({ client, params: { Bucket: loc.bucket, Key: key, Body: createReadStream(file) } }).done();
  } catch (err) {
    throw s3Error(loc, key, `upload of ${file}`, err);
  }
}

/** Downloads an object to a local file (its parent directories made), streamed. */
export async function downloadFile(client: S3Client, loc: S3Location, key: string, file: string): Promise<void> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    await mkdir(path.dirname(file), { recursive: true });
    if (!(res.Body instanceof Readable)) throw new Error('the response body is not a stream');
    await pipeline(res.Body, createWriteStream(file));
  } catch (err) {
    throw s3Error(loc, key, `download to ${file}`, err);
  }
}

/** Every object under `keyPrefix` (which should end in `/`): its key and size. */
export async function listObjects(client: S3Client, loc: S3Location, keyPrefix: string): Promise<Array<{ key: string; size: number }>> {
  const out: Array<{ key: string; size: number }> = [];
  try {
    for await (const page of paginateListObjectsV2({ client }, { Bucket: loc.bucket, Prefix: keyPrefix })) {
      for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
    }
  } catch (err) {
    throw s3Error(loc, keyPrefix, 'LIST', err);
  }
  return out;
}

/** Runs `fn` on every item, at most `limit` at a time. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
