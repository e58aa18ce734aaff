/**
 * How a trainer's end is reported: a child killed by a SIGKILL we did not send (the kernel's
 * out-of-memory killer) or by V8's heap limit is out of memory, permanent and not retried; a stop we
 * asked for is an abort; a plain crash stays transient. Stand-in children, so no TensorFlow.js.
 */
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../activities/errors.ts';
import { PermanentError } from '../../../errors/permanent.ts';
import type { Job } from '../../../ml/jobs.ts';
import { runChild, trainerPids, TrainerError, TrainerOutOfMemoryError } from '../../../ml/runner.ts';

const STAND_IN = fileURLToPath(new URL('../../fixtures/trainer-stand-in.ts', import.meta.url));
const JOB: Job = { type: 'evaluate', modelDir: '/nonexistent', shards: [], tasks: [{ task: 'perplexity', name: 'perplexity' }], taskShards: {}, seed: 0 };

const run = (mode: string, opts: Parameters<typeof runChild>[2] = {}) =>
  runChild(STAND_IN, JOB, { ...opts, env: { BRAISE_STAND_IN: mode } }).then(
    () => {
      throw new Error('expected the job to fail');
    },
    (err: unknown) => err,
  );

describe('runJob: how a trainer ended', () => {
  it('a SIGKILL we did not send is out of memory: permanent, with the signal, the estimate and advice', async () => {
    const err = await run('sigkill', { estimatedMemoryBytes: 3 * 2 ** 30 });
    expect(err).toBeInstanceOf(TrainerOutOfMemoryError);
    expect(err).toBeInstanceOf(PermanentError);
    const message = (err as Error).message;
    expect(message).toMatch(/^trainer out of memory: .*SIGKILL, which Braise did not send/);
    expect(message).toContain('about 3.0 GiB by estimate');
    expect(message).toMatch(/smaller model .* or batchSize/);
    expect(message).not.toContain('without a result');
  });

  it('V8 heap exhaustion ("JavaScript heap out of memory") is out of memory too', async () => {
    const err = await run('heap', { heapLimitMb: 64 });
    expect(err).toBeInstanceOf(TrainerOutOfMemoryError);
    expect((err as Error).message).toMatch(/JavaScript heap reached its limit/);
  }, 60_000);

  it('an allocation failure the child reports (WASM memory) is out of memory', async () => {
    const err = await run('wasm');
    expect(err).toBeInstanceOf(TrainerOutOfMemoryError);
    expect((err as Error).message).toContain('Maximum memory size exceeded');
  });

  it('a plain crash stays a transient TrainerError', async () => {
    const err = await run('crash');
    expect(err).toBeInstanceOf(TrainerError);
    expect(err).not.toBeInstanceOf(TrainerOutOfMemoryError);
    expect(err).not.toBeInstanceOf(PermanentError);
    expect((err as Error).message).toBe('trainer exited with code 3 without a result');
  });

  it('a stop we asked for is an abort, even when it took our SIGKILL', async () => {
    for (const mode of ['hang', 'ignore-sigterm']) {
      const controller = new AbortController();
      const pending = run(mode, {
        signal: controller.signal,
        onMessage: (m) => {
          if (m.type === 'progress') controller.abort();
        },
      });
      const err = await pending;
      expect(err, mode).toMatchObject({ name: 'AbortError' });
      expect(err, mode).not.toBeInstanceOf(TrainerOutOfMemoryError);
    }
    expect(trainerPids()).toEqual([]);
  }, 30_000);

  it('reaches Temporal as a non-retryable TrainerOutOfMemoryError failure', () => {
    let thrown: unknown;
    try {
      classify(new TrainerOutOfMemoryError('trainer out of memory: …'));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    expect(thrown).toMatchObject({ nonRetryable: true, type: 'TrainerOutOfMemoryError' });
  });
});
