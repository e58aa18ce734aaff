/**
 * What checkpoints record as consumed (ml/consumed.ts): the token ranges of each document a window
 * read, checked against the batches themselves; the chain of windows a final model descends from
 * after resumes; and the training_order rows they become (activities/pretrain/training-order.ts).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainingOrderRows } from '../../../activities/pretrain/training-order.ts';
import { checkpointDirName } from '../../../ml/checkpoint.ts';
import { consumedChain, mergeRanges, type ConsumedWindow } from '../../../ml/consumed.ts';
import { batchAt, buildTokenStream, consumedDocs, type ShardDoc } from '../../../ml/data.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'braise-consumed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tok = byteTokenizer();

const docs: ShardDoc[] = ['alpha beta gamma', 'x', 'the quick brown fox jumps over the lazy dog', 'ünïcödé bytes', 'tail end of the corpus'].map((text, i) => ({
  id: `d${i}`,
  text,
  shard: 's.jsonl',
  line: i + 1,
}));
const stream = buildTokenStream(docs, tok);

/** Which tokens of each document steps [from, to) read, by marking them token by token from the batches' windows. */
function coverage(seed: number, from: number, to: number, batch: number, context: number): Map<string, Array<[number, number]>> {
  const marks = new Map(stream.docs.map((d) => [d.id, new Array<boolean>(d.end - d.start).fill(false)]));
  for (let step = from; step < to; step++) {
    for (const [start, end] of batchAt(stream, seed, step, batch, context).windows) {
      for (let t = start; t < end; t++) {
        const d = stream.docs.find((s) => s.start <= t && t < s.end)!;
        marks.get(d.id)![t - d.start] = true;
      }
    }
  }
  const out = new Map<string, Array<[number, number]>>();
  for (const [id, m] of marks) {
    const ranges: Array<[number, number]> = [];
    m.forEach((on, i) => {
      if (!on) return;
      const last = ranges.at(-1);
      if (last && last[1] === i) last[1] = i + 1;
      else ranges.push([i, i + 1]);
    });
    if (ranges.length > 0) out.set(id, ranges);
  }
  return out;
}

describe('consumed ranges', () => {
  it('merges overlapping and adjacent ranges, sorted', () => {
    expect(mergeRanges([[5, 7], [0, 2], [2, 3], [6, 9], [12, 13]])).toEqual([[0, 3], [5, 9], [12, 13]]);
    expect(mergeRanges([])).toEqual([]);
  });

  it('records, per document, exactly the tokens the batches of a window read', () => {
    const got = consumedDocs(stream, 3, 4, 9, 2, 8);
    const want = coverage(3, 4, 9, 2, 8);
    expect(got.length).toBeGreaterThan(1);
    expect(new Map(got.map((d) => [d.id, d.ranges]))).toEqual(want);
    // Offsets are within the document: its bytes, then its EOS at offset = byte length.
    for (const d of got) {
      const len = Buffer.byteLength(docs.find((x) => x.id === d.id)!.text) + 1;
      for (const [s, e] of d.ranges) expect(0 <= s && s < e && e <= len).toBe(true);
    }
  });
});

describe('consumedChain', () => {
  const root = path.join(dir, 'ck');
  const write = (w: ConsumedWindow) => {
    const d = path.join(root, checkpointDirName(w.toStep));
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'consumed.json'), JSON.stringify(w));
  };
  const doc = (id: string, ranges: Array<[number, number]>) => ({ id, shard: 's', line: 1, windows: ranges.length, ranges });

  it('follows fromStep back from the final checkpoint: an abandoned branch and redone steps count once', () => {
    write({ fromStep: 0, toStep: 20, docs: [doc('a', [[0, 5]])] });
    write({ fromStep: 20, toStep: 40, docs: [doc('b', [[0, 5]])] });
    // Attempt 1 stopped at 47; attempt 2 resumed from 40 (say 47 was not in its heartbeat) and redid 41..47.
    write({ fromStep: 40, toStep: 47, docs: [doc('stale', [[0, 1]])] });
    write({ fromStep: 40, toStep: 60, docs: [doc('c', [[3, 9]])] });
    write({ fromStep: 60, toStep: 80, docs: [doc('a', [[2, 7]])] });
    return consumedChain(root, 80).then((chain) => {
      expect(chain.brokenAt).toBeNull();
      expect(chain.windows.map((w) => [w.fromStep, w.toStep])).toEqual([[0, 20], [20, 40], [40, 60], [60, 80]]);
    });
  });

  it('says where the chain breaks (a missing checkpoint, or one written before ranges were recorded)', async () => {
    const legacy = path.join(root, checkpointDirName(90));
    mkdirSync(legacy, { recursive: true });
    writeFileSync(path.join(legacy, 'consumed.json'), JSON.stringify({ fromStep: 80, toStep: 90, docs: [{ id: 'a', shard: 's', line: 1, windows: 2 }] }));
    expect(await consumedChain(root, 90)).toEqual({ windows: [], brokenAt: 90 });
    expect((await consumedChain(root, 100)).brokenAt).toBe(100);
  });

  it('rejects a consumed.json that is not one, naming the file', async () => {
    const bad = path.join(root, checkpointDirName(7));
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'consumed.json'), JSON.stringify({ fromStep: 0, toStep: 7, docs: [{ id: 'a', shard: 's', line: 1, windows: 1, ranges: [[4, 2]] }] }));
    await expect(consumedChain(root, 7)).rejects.toThrow(`${bad}/consumed.json: docs.0.ranges.0: range end must be after its start`);
  });
});

describe('trainingOrderRows', () => {
  const windows: ConsumedWindow[] = [
    { fromStep: 0, toStep: 10, docs: [{ id: 'a', shard: 's', line: 1, windows: 3, ranges: [[0, 4], [9, 12]] }, { id: 'b', shard: 's', line: 2, windows: 1, ranges: [[1, 2]] }] },
    { fromStep: 10, toStep: 20, docs: [{ id: 'b', shard: 's', line: 2, windows: 1, ranges: [[0, 3]] }] },
  ];

  it('is one row per (checkpoint, document, range), seq in window order, each naming the input dataset the document came from', () => {
    const rows = trainingOrderRows('run', 'base', windows, new Map([['a', 'DS1'], ['b', 'DS2']]));
    expect(rows.map((r) => [r.checkpointStep, r.seq, r.docId, r.datasetArtifactId, r.tokenStart, r.tokenEnd])).toEqual([
      [10, 0, 'a', 'DS1', 0, 4],
      [10, 1, 'a', 'DS1', 9, 12],
      [10, 2, 'b', 'DS2', 1, 2],
      [20, 0, 'b', 'DS2', 0, 3],
    ]);
  });

  it('refuses a document no input holds', () => {
    expect(() => trainingOrderRows('run', 'base', windows, new Map([['a', 'DS1']]))).toThrow('checkpoint 10: consumed.json names document "b", which is in no input dataset of stage base');
  });
});
