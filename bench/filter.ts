/**
 * `npm run bench -- filter`: filter throughput on this machine, Braise and datatrove on
 * the same documents, side by side (documents/s and MB/s, one core each).
 *
 * datatrove runs from BRAISE_DATATROVE_PYTHON, or the venv <home>/tools/datatrove-venv
 * made on first use (infra/python-venv.ts: datatrove 0.10.1, spacy 3.8.18, regex).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRule, type RuleName } from '../activities/filter/rules/index.ts';
import { loadSource } from '../datasets/sources.ts';
import { ArtifactStore } from '../datasets/artifact-store.ts';
import type { Doc } from '../datasets/types.ts';
import { table } from '../cli/render.ts';
import { loadConfig } from '../infra/config.ts';
import { DATATROVE_VENV, pythonVenv } from '../infra/python-venv.ts';

const RULES: RuleName[] = ['gopher-quality', 'gopher-repetition', 'c4', 'fineweb'];
const HERE = fileURLToPath(new URL('.', import.meta.url));

interface Timing { seconds: number; docs: number; bytes: number; kept: number }

async function corpus(): Promise<{ name: string; docs: Doc[] }[]> {
  const ctx = { store: new ArtifactStore(join(tmpdir(), 'braise-bench-store')), cwd: process.cwd() };
  const out = [{ name: 'brown', docs: await loadSource({ source: 'builtin:brown' }, ctx) }];
  try {
    out.push({ name: 'spam-assassin', docs: await loadSource({ source: 'builtin:spam-assassin' }, ctx) });
  } catch (err) {
    console.error(`(spam-assassin skipped: ${(err as Error).message.split('\n')[0]})`);
  }
  return out;
}

function braise(docs: Doc[]): Record<string, Timing> {
  const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
  const out: Record<string, Timing> = {};
  for (const name of RULES) {
    const rule = createRule(name);
    rule.check(docs[0]!); // warm-up, as on the datatrove side
    let kept = 0;
    const t0 = process.hrtime.bigint();
    for (const d of docs) if (rule.check(d).keep) kept++;
    out[name] = { seconds: Number(process.hrtime.bigint() - t0) / 1e9, docs: docs.length, bytes, kept };
  }
  return out;
}

async function datatrovePython(): Promise<string | null> {
  try {
    return await pythonVenv(DATATROVE_VENV, { toolsDir: loadConfig().toolsDir, log: (m) => console.error(m) });
  } catch (err) {
    console.error(`datatrove unavailable: ${(err as Error).message}`);
    return null;
  }
}

function datatrove(py: string, file: string): Record<string, Timing> | null {
  const r = spawnSync(py, [join(HERE, 'datatrove_bench.py'), file], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    const why = r.error?.message ?? (r.signal !== null ? `killed by ${r.signal}` : `exit ${r.status}`);
    console.error(`datatrove bench failed (${why}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, Timing>;
}

const fmt = (t: Timing | undefined, what: 'docs' | 'mb') =>
  t ? (what === 'docs' ? (t.docs / t.seconds).toFixed(0) : (t.bytes / 1e6 / t.seconds).toFixed(2)) : 'n/a';

export async function filterBench(): Promise<void> {
  const py = await datatrovePython();
  const rows = [['CORPUS', 'RULE', 'BRAISE DOCS/S', 'DATATROVE DOCS/S', 'BRAISE MB/S', 'DATATROVE MB/S', 'KEPT (B/DT)']];
  for (const { name, docs } of await corpus()) {
    const dir = await mkdtemp(join(tmpdir(), 'braise-bench-'));
    const file = join(dir, `${name}.jsonl`);
    await writeFile(file, docs.map((d) => JSON.stringify({ id: d.id, text: d.text })).join('\n') + '\n');
    const b = braise(docs);
    const d = py ? datatrove(py, file) : null;
    for (const rule of RULES) {
      rows.push([name, rule, fmt(b[rule], 'docs'), fmt(d?.[rule], 'docs'), fmt(b[rule], 'mb'), fmt(d?.[rule], 'mb'), `${b[rule]!.kept}/${d?.[rule]?.kept ?? '-'}`]);
    }
  }
  console.log(`filter throughput, one core each (${process.arch}, node ${process.version})\n`);
  console.log(table(rows));
}
