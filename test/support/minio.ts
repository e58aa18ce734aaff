/**
 * A real S3-compatible server for tests: MinIO (AGPL: only ever run as a separate test server, never linked
 * or shipped), started on a free port with its data in a temp directory, and a bucket made with the SDK.
 * The binary: MINIO_BIN, else `.braise/tools/bin/minio` (what .ci/run installs), else `minio` on PATH.
 * {@link minioBinary} is null when there is none; CI (CI=true) must fail rather than skip then.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3ClientFromEnv } from '../../datasets/s3.ts';
import { freePort } from './free-port.ts';

/** The MinIO binary to run, or null when none is installed. */
export const minioBinary: string | null = (() => {
  if (process.env.MINIO_BIN) return process.env.MINIO_BIN;
  const tools = resolve(import.meta.dirname, '../../.braise/tools/bin/minio');
  if (existsSync(tools)) return tools;
  try {
    return execFileSync('sh', ['-c', 'command -v minio'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();

/** Why the S3 tests do not run here, or null when they do (in CI a missing binary is a failure, not a skip). */
export function minioMissing(): string | null {
  if (minioBinary) return null;
  const why = 'MinIO is not installed (.braise/tools/bin/minio, MINIO_BIN or minio on PATH; .ci/run installs it)';
  if (process.env.CI === 'true') throw new Error(`${why}: CI must run the S3 tests`);
  console.warn(`skipping the S3 tests: ${why}`);
  return why;
}

/** A running MinIO server. */
export interface TestMinio {
  endpoint: string;
  /** The AWS variables a Braise process needs to reach it (credentials, endpoint, region). */
  env: Record<string, string>;
  client: S3Client;
  /** Creates a bucket. */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'braise-test';
const PASSWORD = 'braise-test-secret';

/** Starts MinIO and waits until it answers its liveness probe (at most 30 s). */
export async function startMinio(): Promise<TestMinio> {
  if (!minioBinary) throw new Error('no MinIO binary');
  const dir = mkdtempSync(join(tmpdir(), 'braise-minio-'));
  const port = await freePort();
  const consolePort = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(minioBinary, ['server', join(dir, 'data'), '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
    env: { ...process.env, MINIO_ROOT_USER: USER, MINIO_ROOT_PASSWORD: PASSWORD, MINIO_BROWSER: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`minio exited with ${child.exitCode}: ${output}`);
    const live = await fetch(`${endpoint}/minio/health/live`).then((r) => r.ok, () => false);
    if (live) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`minio did not answer on ${endpoint} within 30 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const env = { AWS_ACCESS_KEY_ID: USER, AWS_SECRET_ACCESS_KEY: PASSWORD, AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1' };
  const client = s3ClientFromEnv(env);
  return {
    endpoint,
    env,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
