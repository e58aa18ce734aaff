/**
 * The artifact store on S3 (`BRAISE_ARTIFACTS=s3://bucket/prefix`), for workers on many machines that share
 * nothing but the bucket. The content is the filesystem store's, with the same ids:
 *
 *   prefix/<id>/<relative path>   each file of the artifact
 *   prefix/<id>.json              its ArtifactRef, written last: the commit marker
 *
 * A commit hashes locally, uploads the files, then puts the marker with `If-None-Match: *`, so the first
 * committer's ref wins and an artifact whose upload was cut short is never seen (no marker). Stages keep
 * reading local paths: every machine keeps a cache (a filesystem store, under its home) that an artifact is
 * downloaded into — to a staging directory, checked against its id, then renamed — before a stage reads it.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ArtifactStore, isArtifactId, storedRefSchema } from './artifact-store.ts';
import { ArtifactNotFoundError } from './errors.ts';
import { hashDir } from './hash-dir.ts';
import { checkBucket, downloadFile, eachLimited, getText, keyOf, listObjects, objectExists, putText, s3Url, uploadFile, type S3Location } from './s3.ts';
import { ARTIFACT_KINDS, type ArtifactKind, type ArtifactRef } from './types.ts';

/** Files moved at once in an upload or download. */
const CONCURRENCY = 4;

/** An {@link ArtifactStore} whose artifacts live in S3, with a local cache at `cacheDir` (see the file header). */
export class S3ArtifactStore extends ArtifactStore {
  private readonly fetching = new Map<string, Promise<string>>();

  constructor(
    cacheDir: string,
    readonly s3: S3Location,
    private readonly client: S3Client,
  ) {
    super(cacheDir);
  }

  override get location(): string {
    return s3Url(this.s3);
  }

  /** Throws a clear error when the bucket is missing or unreachable (a worker or the API checks it at start). */
  async check(): Promise<void> {
    await checkBucket(this.client, this.s3);
  }

  override async reachable(): Promise<boolean> {
    return this.check().then(() => true, () => false);
  }

  override async commit(dir: string, kind: ArtifactKind, meta: Record<string, unknown> = {}): Promise<ArtifactRef> {
    if (!ARTIFACT_KINDS.includes(kind)) throw new Error(`unknown artifact kind "${String(kind)}"`);
    const src = path.resolve(dir);
    const { id, bytes, files } = await hashDir(src, kind);
    let ref = await this.remoteRef(id);
    if (ref === null) {
      await eachLimited(files, CONCURRENCY, (f) => uploadFile(this.client, this.s3, this.fileKey(id, f.rel), f.abs));
      const mine: ArtifactRef = { id, kind, uri: this.uri(id), bytes, meta };
      // Same id ⇒ same content, so losing the race only means the winner's meta is the one kept.
      ref = (await putText(this.client, this.s3, this.markerKey(id), `${JSON.stringify(mine, null, 2)}\n`, { ifAbsent: true })) ? mine : await this.remoteRef(id);
      if (ref === null) throw new Error(`${s3Url(this.s3, `${id}.json`)}: the commit marker is neither writable nor readable`);
    }
    // The content is here already: it becomes this machine's cached copy, under the committed ref.
    await this.place(src, id);
    await this.publishRef(ref);
    return { ...ref, uri: this.uri(id) };
  }

  override async get(id: string): Promise<ArtifactRef> {
    if (await super.has(id)) return { ...(await super.get(id)), uri: this.uri(id) };
    const ref = isArtifactId(id) ? await this.remoteRef(id) : null;
    if (ref === null) throw new ArtifactNotFoundError(id, this.location);
    return { ...ref, uri: this.uri(id) };
  }

  override async has(id: string): Promise<boolean> {
    if (!isArtifactId(id)) return false;
    // The cache holds only committed artifacts (its ref is written after the marker), so a cached one is in S3.
    return (await super.has(id)) || (await objectExists(this.client, this.s3, this.markerKey(id)));
  }

  override async filePath(id: string, file: string): Promise<string> {
    await this.ensureLocal(id);
    return super.filePath(id, file);
  }

  /** Downloads the artifact into the cache unless it is there; once per id at a time in this process. */
  override async ensureLocal(id: string): Promise<string> {
    if (await super.has(id)) return this.dir(id);
    let pending = this.fetching.get(id);
    if (pending === undefined) {
      pending = this.download(id).finally(() => this.fetching.delete(id));
      this.fetching.set(id, pending);
    }
    return pending;
  }

  private async download(id: string): Promise<string> {
    const ref = isArtifactId(id) ? await this.remoteRef(id) : null;
    if (ref === null) throw new ArtifactNotFoundError(id, this.location);
    const base = this.fileKey(id, '');
    const objects = await listObjects(this.client, this.s3, base);
    const tmp = await this.stage();
    try {
      await eachLimited(objects, CONCURRENCY, async (o) => {
        const rel = o.key.slice(base.length);
        const abs = path.resolve(tmp, rel);
        if (!abs.startsWith(tmp + path.sep)) throw new Error(`${s3Url({ bucket: this.s3.bucket, prefix: '' }, o.key)}: not a path inside artifact ${id}`);
        await downloadFile(this.client, this.s3, o.key, abs);
      });
      // The marker vouches for complete uploads; the hash catches anything else (a partial or foreign object).
      const got = await hashDir(tmp, ref.kind);
      if (got.id !== id) throw new Error(`${s3Url(this.s3, `${id}/`)}: the downloaded files hash to ${got.id}, not to the artifact's id`);
      await this.place(tmp, id);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    await this.publishRef(ref);
    return this.dir(id);
  }

  private async remoteRef(id: string): Promise<ArtifactRef | null> {
    const text = await getText(this.client, this.s3, this.markerKey(id));
    if (text === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`${s3Url(this.s3, `${id}.json`)}: the commit marker is not JSON`, { cause: err });
    }
    const parsed = storedRefSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${s3Url(this.s3, `${id}.json`)}: not an artifact ref: ${parsed.error.message}`);
    return parsed.data;
  }

  private uri(id: string): string {
    return s3Url(this.s3, `${id}/`);
  }

  private markerKey(id: string): string {
    return keyOf(this.s3, `${id}.json`);
  }

  private fileKey(id: string, rel: string): string {
    return keyOf(this.s3, `${id}/${rel}`);
  }
}
