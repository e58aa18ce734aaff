/**
 * Training checkpoints on S3, so a stage that lost its worker resumes on another machine. Each worker keeps
 * its checkpoints where it always did (`<checkpoints root>/<scope>/step-NNNNNNNN/`); this mirrors them:
 *
 *   prefix/checkpoints/<scope>/step-NNNNNNNN/<file>   the checkpoint's files
 *   prefix/checkpoints/<scope>/step-NNNNNNNN.json     written after them: the marker of a complete checkpoint
 *
 * {@link S3Checkpoints.push} uploads one when it is saved; {@link S3Checkpoints.pull} brings the latest
 * complete one of a scope (and the small `consumed.json` of the earlier ones, which provenance follows back)
 * onto this machine before the stage looks for where to resume.
 */
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { listTree } from './hash-dir.ts';
import { downloadFile, eachLimited, getText, keyOf, listObjects, putText, s3Url, uploadFile, type S3Location } from './s3.ts';

const markerSchema = z.object({ files: z.array(z.object({ rel: z.string(), size: z.number().int().nonnegative() })) });
const STEP_MARKER = /^(step-\d{8})\.json$/;
/** The file of a checkpoint that says it is complete (ml/checkpoint.ts writes it last). */
const STATE_FILE = 'state.json';
/** What provenance reads from every checkpoint of a chain (ml/consumed.ts). */
const CONSUMED_FILE = 'consumed.json';

const exists = (p: string) => access(p).then(() => true, () => false);

/** Checkpoints mirrored to S3 under `prefix/checkpoints/` (see the file header). */
export class S3Checkpoints {
  constructor(
    /** The local checkpoints root the directories passed in lie under. */
    readonly root: string,
    readonly s3: S3Location,
    private readonly client: S3Client,
  ) {}

  /** Uploads the checkpoint directory `dir` (under the root): its files, then its marker. */
  async push(dir: string): Promise<void> {
    const rel = this.rel(dir);
    const files = await listTree(dir);
    await eachLimited(files, 4, (f) => uploadFile(this.client, this.s3, this.key(`${rel}/${f.rel}`), f.abs));
    await putText(this.client, this.s3, this.key(`${rel}.json`), `${JSON.stringify({ files: files.map((f) => ({ rel: f.rel, size: f.size })) })}\n`);
  }

  /**
   * Brings the scope directory `scopeDir`'s latest complete checkpoint from S3 here unless it is here, and the
   * `consumed.json` of its earlier ones. Returns the latest step's directory name, or null when S3 has none.
   */
  async pull(scopeDir: string): Promise<string | null> {
    const rel = this.rel(scopeDir);
    const base = this.key(`${rel}/`);
    const steps = (await listObjects(this.client, this.s3, base))
      .map((o) => STEP_MARKER.exec(o.key.slice(base.length))?.[1])
      .filter((s): s is string => s !== undefined)
      .sort();
    const latest = steps.at(-1);
    if (latest === undefined) return null;
    await this.pullStep(path.join(scopeDir, latest));
    for (const step of steps.slice(0, -1)) {
      const local = path.join(scopeDir, step, CONSUMED_FILE);
      if (await exists(local)) continue;
      const marker = await this.marker(`${rel}/${step}`);
      if (marker?.files.some((f) => f.rel === CONSUMED_FILE)) await downloadFile(this.client, this.s3, this.key(`${rel}/${step}/${CONSUMED_FILE}`), local);
    }
    return latest;
  }

  /**
   * Makes the checkpoint directory `dir` (under the root) complete here, from S3, unless it is already
   * (it has its state.json). Returns false when S3 has no complete checkpoint there either.
   */
  async pullStep(dir: string): Promise<boolean> {
    if (await exists(path.join(dir, STATE_FILE))) return true;
    const rel = this.rel(dir);
    const marker = await this.marker(rel);
    if (marker === null) return false;
    const tmp = `${dir}.download-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    try {
      await eachLimited(marker.files, 4, async (f) => {
        const abs = path.resolve(tmp, f.rel);
        if (!abs.startsWith(tmp + path.sep)) throw new Error(`${s3Url(this.s3, `checkpoints/${rel}.json`)}: "${f.rel}" is not a path inside the checkpoint`);
        await downloadFile(this.client, this.s3, this.key(`${rel}/${f.rel}`), abs);
      });
      // A directory holding only an earlier pull's consumed.json is replaced by the whole checkpoint.
      await rm(dir, { recursive: true, force: true });
      await mkdir(path.dirname(dir), { recursive: true });
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return true;
  }

  private async marker(rel: string): Promise<z.infer<typeof markerSchema> | null> {
    const text = await getText(this.client, this.s3, this.key(`${rel}.json`));
    if (text === null) return null;
    const parsed = markerSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${s3Url(this.s3, `checkpoints/${rel}.json`)}: not a checkpoint marker: ${parsed.error.message}`);
    return parsed.data;
  }

  private rel(dir: string): string {
    const rel = path.relative(this.root, path.resolve(dir));
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${dir} is not under the checkpoints root ${this.root}`);
    return rel.split(path.sep).join('/');
  }

  private key(rel: string): string {
    return keyOf(this.s3, `checkpoints/${rel}`);
  }
}
