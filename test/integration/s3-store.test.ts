/**
 * The S3 artifact store and checkpoint mirror against a real S3-compatible server (MinIO): what lands in the
 * bucket, another machine's cache getting it back, concurrent commits of one artifact, a tampered object,
 * checkpoints handed from one worker's home to another's, and the start-up error for a missing bucket.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactNotFoundError } from '../../datasets/artifact-store.ts';
import { s3ClientFromEnv } from '../../datasets/s3.ts';
import { S3ArtifactStore } from '../../datasets/s3-artifact-store.ts';
import { S3Checkpoints } from '../../datasets/s3-checkpoints.ts';
import { loadConfig } from '../../infra/config.ts';
import { minioMissing, startMinio, type TestMinio } from '../support/minio.ts';

const missing = minioMissing();
const BUCKET = 'braise-store-test';
const loc = { bucket: BUCKET, prefix: 'team/artifacts' };

describe.skipIf(missing !== null)('S3 artifact store (MinIO)', () => {
  let minio: TestMinio;
  let tmp: string;
  beforeAll(async () => {
    minio = await startMinio();
    await minio.createBucket(BUCKET);
    tmp = await mkdtemp(path.join(tmpdir(), 'braise-s3-store-'));
  });
  afterAll(async () => {
    await minio?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  /** A store as one machine sees it: its own cache directory, the shared bucket. */
  const machine = (name: string) => new S3ArtifactStore(path.join(tmp, name, 'artifact-cache'), loc, s3ClientFromEnv(minio.env));
  const keys = async (prefix: string) =>
    ((await minio.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
  async function staged(store: S3ArtifactStore, files: Record<string, string>): Promise<string> {
    const dir = await store.stage();
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
    return dir;
  }

  it('commits files then the marker under prefix/<id>, and another machine downloads it into its cache', async () => {
    const a = machine('a');
    const ref = await a.commit(await staged(a, { 'report.json': '{"x":1}\n', 'sub/w.bin': 'weights' }), 'report', { stage: 's' });
    expect(ref.uri).toBe(`s3://${BUCKET}/team/artifacts/${ref.id}/`);
    expect(await keys(`team/artifacts/${ref.id}`)).toEqual([`team/artifacts/${ref.id}.json`, `team/artifacts/${ref.id}/report.json`, `team/artifacts/${ref.id}/sub/w.bin`]);

    const b = machine('b');
    expect(await b.has(ref.id)).toBe(true);
    // The ref comes from the marker, without downloading the content.
    expect(await b.get(ref.id)).toEqual(ref);
    await expect(readdir(b.root)).rejects.toThrow(/ENOENT/);
    expect(await b.readJson(ref.id)).toEqual({ x: 1 });
    expect(await readFile(path.join(await b.ensureLocal(ref.id), 'sub/w.bin'), 'utf8')).toBe('weights');
    expect(b.dir(ref.id)).toBe(path.join(b.root, ref.id));
  });

  it('concurrent commits of the same content give one artifact with the first marker', async () => {
    const stores = [machine('c1'), machine('c2'), machine('c3')];
    const dirs = await Promise.all(stores.map((s) => staged(s, { 'report.json': '{"same":true}\n' })));
    const refs = await Promise.all(stores.map((s, i) => s.commit(dirs[i]!, 'report', { by: i })));
    expect(new Set(refs.map((r) => r.id)).size).toBe(1);
    const id = refs[0]!.id;
    const marker = JSON.parse(await (await minio.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `team/artifacts/${id}.json` }))).Body!.transformToString()) as { meta: { by: number } };
    // Every committer returns (and caches) the ref that won the conditional put.
    for (const r of refs) expect(r.meta).toEqual(marker.meta);
    for (const s of stores) expect((await s.get(id)).meta).toEqual(marker.meta);
  });

  it('refuses an unknown id and a tampered object, leaving the cache without them', async () => {
    const a = machine('d');
    const unknown = 'f'.repeat(64);
    expect(await a.has(unknown)).toBe(false);
    await expect(a.ensureLocal(unknown)).rejects.toThrow(ArtifactNotFoundError);
    await expect(a.get(unknown)).rejects.toThrow(`artifact ${unknown} not found in s3://${BUCKET}/team/artifacts`);

    const ref = await a.commit(await staged(a, { 'report.json': '{"v":"original"}\n' }), 'report');
    await minio.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `team/artifacts/${ref.id}/report.json`, Body: '{"v":"tampered"}\n' }));
    const b = machine('e');
    await expect(b.ensureLocal(ref.id)).rejects.toThrow(`s3://${BUCKET}/team/artifacts/${ref.id}/: the downloaded files hash to`);
    expect(await b.has(ref.id)).toBe(true); // committed in S3, but not cached here
    expect((await readdir(b.root)).filter((n) => n !== '.staging')).toEqual([]);
  });

  it('hands a checkpoint from one worker home to another: the latest complete one, earlier ones only consumed.json', async () => {
    const rootA = path.join(tmp, 'ckA');
    const rootB = path.join(tmp, 'ckB');
    const a = new S3Checkpoints(rootA, loc, s3ClientFromEnv(minio.env));
    const b = new S3Checkpoints(rootB, loc, s3ClientFromEnv(minio.env));
    const save = async (step: number) => {
      const dir = path.join(rootA, 'scope1', `step-${String(step).padStart(8, '0')}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'weights.bin'), `w${step}`);
      await writeFile(path.join(dir, 'consumed.json'), `{"step":${step}}`);
      await writeFile(path.join(dir, 'state.json'), JSON.stringify({ step }));
      return dir;
    };
    await a.push(await save(5));
    await a.push(await save(10));
    // Step 15's files got up but not its marker (its worker died mid-upload): it is not a checkpoint.
    const partial = await save(15);
    await minio.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'team/artifacts/checkpoints/scope1/step-00000015/weights.bin', Body: 'w15' }));

    expect(await b.pull(path.join(rootB, 'scope1'))).toBe('step-00000010');
    expect(await readFile(path.join(rootB, 'scope1/step-00000010/weights.bin'), 'utf8')).toBe('w10');
    expect(await readdir(path.join(rootB, 'scope1/step-00000005'))).toEqual(['consumed.json']);
    expect((await readdir(path.join(rootB, 'scope1/step-00000010'))).sort()).toEqual(['consumed.json', 'state.json', 'weights.bin']);
    expect(await b.pullStep(path.join(rootB, 'scope1/step-00000005'))).toBe(true);
    expect((await readdir(path.join(rootB, 'scope1/step-00000005'))).sort()).toEqual(['consumed.json', 'state.json', 'weights.bin']);
    expect(await b.pullStep(path.join(rootB, 'scope1/step-00000015'))).toBe(false);
    expect(await b.pull(path.join(rootB, 'nothing-here'))).toBeNull();
    await rm(partial, { recursive: true });
  });

  it('names the bucket when it is missing; config takes s3:// and refuses a bad bucket', async () => {
    const gone = new S3ArtifactStore(path.join(tmp, 'f'), { bucket: 'no-such-bucket', prefix: '' }, s3ClientFromEnv(minio.env));
    await expect(gone.check()).rejects.toThrow('artifact storage s3://no-such-bucket/: bucket "no-such-bucket" is not usable (no such bucket)');
    expect(await gone.reachable()).toBe(false);
    const config = loadConfig({ BRAISE_HOME: '/h', BRAISE_ARTIFACTS: 's3://bkt/some/prefix/' }, '/');
    expect(config.artifactsS3).toEqual({ bucket: 'bkt', prefix: 'some/prefix' });
    expect(config.artifactsRoot).toBe('/h/artifact-cache');
    expect(() => loadConfig({ BRAISE_ARTIFACTS: 's3://Bad_Bucket/x' }, '/')).toThrow('BRAISE_ARTIFACTS: "s3://Bad_Bucket/x" names no valid bucket');
  });
});
