/**
 * `mergeablation`: merge-based data ablation (Na et al. 2024, "Scalable Data Ablation Approximations"; ../shared
 * METHODS.md). The candidate data's units are its domains (a document's `domain`, over every data input; `units`
 * names the ones to ablate, default all), or with `units: N` N equal parts of it. In one child run of its own it pretrains a shared base on all the data
 * (`base`), continues it on each unit alone for the last `fraction` of the schedule (an `upsample` with every
 * other domain at 0: one model per unit, cost linear in the units), scores every candidate mixture (a set of
 * units: `candidates`, default every set of 2 to `maxSize` units) by the bits per byte on `target` of the uniform
 * parameter average of its units' models (a linear `merge`), trains `realUnions` candidates for real (the same
 * continuation on the union's domains together), and reports proxy against real and their Spearman ρ
 * (activities/mergeablation/). Port `report`. PURE.
 */
import { z } from 'zod';
import { posInt, refSchema } from './common.ts';
import { countSubsetsUpTo, proxyModel, proxyTraining } from './ablation.ts';
import type { StageSpec, WithIssue } from './spec.ts';

/** The most merges one stage may score (each is a stage of its child run). */
export const MAX_CANDIDATES = 64;

const unitName = z.string().min(1).max(200);

export const mergeablationWith = z
  .object({
    /** The held-out data every model is scored on (a recipe dataset or a stage's dataset output). */
    target: refSchema,
    /**
     * The domains that are units (at least 2), default every domain of the data; or a number N: the documents split
     * deterministically into N units of about equal tokens, named `unit-0` … `unit-<N−1>`.
     */
    units: z.union([z.array(unitName).min(2).max(32), posInt.min(2).max(32)]).optional(),
    /** Candidate mixtures: sets of units; default every set of 2 … maxSize units. */
    candidates: z.array(z.array(unitName).min(2)).min(2).max(MAX_CANDIDATES).optional(),
    maxSize: posInt.min(2).max(32).default(3),
    /** Candidates trained for real on their union, spread evenly over the candidates (at least 2, for a rank correlation). */
    realUnions: posInt.min(2).max(MAX_CANDIDATES).default(3),
    /** The shared base's pretraining on all the data; its last `fraction` is redone on each unit and union. */
    base: proxyTraining.prefault({}),
    fraction: z.number().gt(0).lt(1).default(0.5),
    /** Caps the target documents scored per domain (evaluate's `maxDocsPerDomain`; default all). */
    evalDocsPerDomain: posInt.optional(),
    model: proxyModel.prefault({}),
  })
  .strict();

export type MergeablationWith = z.output<typeof mergeablationWith>;

/** The step the units' continuations start from: round((1 − fraction) · steps), as upsample computes it. */
export function continuationStart(w: Pick<MergeablationWith, 'base' | 'fraction'>): number {
  return Math.round((1 - w.fraction) * w.base.steps);
}

function checkMergeablation(w: MergeablationWith): WithIssue[] {
  const issues: WithIssue[] = [];
  const s0 = continuationStart(w);
  if (s0 < 1 || s0 >= w.base.steps) {
    issues.push({ path: 'fraction', message: `${w.fraction} of the base's ${w.base.steps} steps leaves ${s0 < 1 ? 'no base training' : 'no step to continue'}: choose a fraction between ${(1 / w.base.steps).toPrecision(2)} and ${(1 - 1 / w.base.steps).toPrecision(2)}` });
  }
  const units = typeof w.units === 'number' ? Array.from({ length: w.units }, (_, i) => `unit-${i}`) : w.units;
  if (Array.isArray(w.units)) {
    const seen = new Set<string>();
    w.units.forEach((u, i) => {
      if (seen.has(u)) issues.push({ path: `units[${i}]`, message: `unit "${u}" is listed twice` });
      seen.add(u);
    });
  }
  const keys = new Set<string>();
  (w.candidates ?? []).forEach((c, i) => {
    c.forEach((u, j) => {
      if (units !== undefined && !units.includes(u)) issues.push({ path: `candidates[${i}][${j}]`, message: `"${u}" is not one of the units (${units.join(', ')})` });
    });
    if (new Set(c).size !== c.length) issues.push({ path: `candidates[${i}]`, message: 'a candidate names a unit twice' });
    const key = [...c].sort().join('\0');
    if (keys.has(key)) issues.push({ path: `candidates[${i}]`, message: 'the same set of units as an earlier candidate' });
    keys.add(key);
  });
  const count = w.candidates?.length ?? (units !== undefined ? countSubsetsUpTo(units.length, w.maxSize) : undefined);
  if (w.candidates === undefined && count !== undefined && count > MAX_CANDIDATES) {
    issues.push({ path: 'maxSize', message: `${units!.length} units have ${count} sets of 2 to ${w.maxSize}: more than ${MAX_CANDIDATES} merges; lower maxSize or list candidates` });
  }
  if (count !== undefined && w.realUnions > count) issues.push({ path: 'realUnions', message: `${w.realUnions} real unions of only ${count} candidates` });
  return issues;
}

export const mergeablationStage = {
  kind: 'mergeablation',
  summary: 'merge-based data ablation: one model per data unit from a shared base, candidates scored by their merged models, a few unions trained for real (a child run)',
  with: mergeablationWith,
  settings: mergeablationWith,
  inputs: { accepts: ['dataset'], requires: 'dataset' },
  roles: { target: 'dataset' },
  refs: (w: MergeablationWith) => [{ ref: w.target, role: 'target', path: 'target' }],
  ports: { report: 'report' },
  // It trains nothing itself: it waits on its child run, whose stages take the cpu and gpu queues' slots.
  queue: 'braise-cpu',
  long: true,
  available: true,
  implVersion: '1',
  check: checkMergeablation,
  headline: ['spearman', 'best_proxy_bits_per_byte', 'candidates'],
} as const satisfies StageSpec<'mergeablation', typeof mergeablationWith>;
