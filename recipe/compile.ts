/**
 * Compiles a validated recipe into a {@link Plan}: dataset and stage nodes in
 * topological order, resolved defaults, typed inputs, a fingerprint per node.
 * Everything knowable before a run starts is checked here, each problem with
 * its path (and line, for a recipe parsed from text): references, kinds,
 * features not built yet (availability.ts), dataset sources and options,
 * timeouts, queues, a training stage's memory and the plan's size. What each
 * kind accepts, produces and references comes from its spec in the stage
 * registry (stages/index.ts); each node's settings are its kind's resolved
 * settings (every default, dependent ones included). Pure and
 * linear in the recipe's size: runs outside the workflow so replay never
 * depends on it.
 */
import { createHash } from 'node:crypto';
import { totalmem } from 'node:os';
import type { Recipe, Stage } from './schema.ts';
import { unbuiltIssues } from './availability.ts';
import { NODE_SPECS, refsOf, resolveSettings, type AnyStageSpec, type ArtifactKind, type NodeKind } from './stages/index.ts';
import { RecipeError, type RecipeIssue } from './errors.ts';
import { addLines, locateInRecipe, parseRecipeValue } from './loader.ts';
import { evaluateMetricName, parseEvaluateMetric } from './stages/evaluate-metrics.ts';
import { cellLabel, cellsMatching, expandSweep, recipePathOf, setRecipePath, sweepPaths, type SweepCell } from './sweep.ts';
import { LIMITS, formatBytes } from './limits.ts';
import { WASM_MEMORY_BYTES, estimateTrainingMemory } from './memory.ts';
import { checkDatasetSource } from './sources.ts';
import { didYouMean, listNames } from './suggest.ts';
import type { Plan, PlanInput, PlanNode, SweepCellPlan } from './plan.ts';

const SECOND = 1000;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Queues Braise's own workers serve stage activities on (`braise-control` runs the workflow and lineage activities only). */
export const STAGE_QUEUES = ['braise-cpu', 'braise-gpu'] as const;

/** Bounds on a stage's timeouts: below them a stage cannot work, above them a dead worker goes unnoticed. */
export const TIMEOUT_BOUNDS = {
  /** A stage attempt shorter than this cannot start a trainer or read a dataset. */
  minStartToCloseMs: 10 * SECOND,
  maxStartToCloseMs: 30 * DAY,
  /** A trainer reports between steps; the fault tests use 4 s to notice a killed worker quickly. */
  minHeartbeatMs: 3 * SECOND,
  /** A long stage whose worker died is noticed within this. */
  maxHeartbeatMs: 10 * MINUTE,
} as const;

export interface CompileOptions {
  /** Bytes a training stage may use on a worker (BRAISE_WORKER_MEMORY); default this machine's memory. */
  workerMemoryBytes?: number;
  /** Task queues stage activities may name: braise-cpu, braise-gpu and any listed in BRAISE_QUEUES. */
  queues?: readonly string[];
}

/**
 * Compiles a recipe; throws {@link RecipeError} with every semantic problem (unknown inputs, wrong artifact
 * kinds, cycles, unknown built-in datasets, bad timeouts, unserved queues, training stages too large for the
 * worker…). Datasets no stage uses are warnings (`plan.warnings`), and are not ingested.
 */
export function compileRecipe(recipe: Recipe, options: CompileOptions = {}): Plan {
  return recipe.sweep ? compileSweep(recipe, options) : compileOne(recipe, options);
}

/** A recipe without a `sweep:` block. */
function compileOne(recipe: Recipe, options: CompileOptions): Plan {
  const issues: RecipeIssue[] = [];
  const warnings: RecipeIssue[] = [];
  const datasetNames = new Set(Object.keys(recipe.datasets));
  const stageIndex = new Map<string, number>();
  const queues = new Set([...STAGE_QUEUES, ...(options.queues ?? [])]);

  for (const [name, spec] of Object.entries(recipe.datasets)) issues.push(...checkDatasetSource(name, spec));
  issues.push(...unbuiltIssues(recipe));

  recipe.stages.forEach((stage, i) => {
    if (stageIndex.has(stage.id)) issues.push({ path: `stages[${i}].id`, message: `duplicate stage id "${stage.id}" (also stages[${stageIndex.get(stage.id)}])` });
    else if (datasetNames.has(stage.id)) issues.push({ path: `stages[${i}].id`, message: `stage id "${stage.id}" is also a dataset name` });
    else stageIndex.set(stage.id, i);
    if (stage.queue !== undefined && !queues.has(stage.queue)) {
      const served = [...queues];
      issues.push({
        path: `stages[${i}].queue`,
        message: `no Braise worker serves queue "${stage.queue}"${didYouMean(stage.queue, served)}: expected one of ${served.join(', ')} (add a queue your own workers serve to BRAISE_QUEUES)`,
      });
    }
    checkTimeouts(stage, i, issues, warnings);
    checkMemory(recipe, stage, i, options.workerMemoryBytes ?? totalmem(), issues);
  });

  const refs: RefContext = { datasets: datasetNames, stages: recipe.stages, stageIndex, known: null };
  const resolvedInputs = recipe.stages.map((stage, i) => resolveInputs(stage, i, refs, issues));
  const order = topoOrder(recipe.stages, stageIndex, resolvedInputs, issues);
  if (issues.length > 0) throw new RecipeError(addLines(recipe, issues));

  // A dataset no stage reads is a mistake worth a word, not an ingest.
  const used = new Set(resolvedInputs.flatMap((ins) => ins.map((x) => x.node)));
  for (const name of datasetNames) {
    if (!used.has(name)) warnings.push({ path: `datasets.${name}`, message: `dataset "${name}" is not used by any stage: it will not be ingested` });
  }

  const context = { model: { ...recipe.model }, seed: recipe.seed };
  const nodes: PlanNode[] = [];
  for (const [name, spec] of Object.entries(recipe.datasets)) {
    if (used.has(name)) nodes.push(makeNode(name, 'ingest', [], { ...spec }, context, undefined, recipe));
  }
  for (const i of order) {
    const stage = recipe.stages[i]!;
    nodes.push(makeNode(stage.id, stage.kind, resolvedInputs[i]!, resolveSettings(stage.kind, stage.with), context, stage, recipe));
  }
  const plan: Plan = {
    apiVersion: 'braise/v1',
    name: recipe.name,
    recipeHash: sha256(canonicalJson(recipe)),
    nodes,
    recipe,
    warnings: addLines(recipe, warnings),
  };
  checkPlanBytes(plan, 'stages', 'split the recipe into smaller ones');
  return plan;
}

function checkPlanBytes(plan: Plan, path: string, advice: string): void {
  const planBytes = Buffer.byteLength(JSON.stringify(plan), 'utf8');
  if (planBytes > LIMITS.planBytes) {
    throw new RecipeError([
      { path, message: `the compiled plan is ${formatBytes(planBytes)}, over the limit of ${formatBytes(LIMITS.planBytes)} (a workflow's input must stay well under Temporal's 2 MB payload limit): ${advice}` },
    ]);
  }
}

/**
 * A recipe with a `sweep:` block: every cell compiled as a recipe of its own (the block removed, the cell's values
 * set), so a bad value in one cell is refused before anything starts, naming the cell and the path, with the line
 * of the value in the sweep block. A problem every cell has is reported once, as for a recipe without a sweep.
 */
function compileSweep(recipe: Recipe, options: CompileOptions): Plan {
  const sweep = recipe.sweep!;
  const where = (raw: Array<string | number>, path: string): Pick<RecipeIssue, 'path' | 'line' | 'column'> => ({ path, ...locateInRecipe(recipe, raw) });
  const issues: RecipeIssue[] = [...sweepRefIssues(recipe, where)];
  const expanded = expandSweep(sweep);
  issues.push(...addLines(recipe, expanded.issues));
  let baseline: number | undefined;
  if (sweep.compare?.baseline && expanded.cells.length > 0) {
    const matching = cellsMatching(expanded.cells, sweep.compare.baseline);
    if (matching.length === 1) baseline = matching[0]!.index;
    else {
      const which = matching.length === 0 ? 'no cell has' : `${matching.length} cells have (${matching.map((c) => c.index).join(', ')})`;
      issues.push({ ...where(['sweep', 'compare', 'baseline'], 'sweep.compare.baseline'), message: `${which} these values: the baseline must name exactly one cell` });
    }
  }
  if (issues.length > 0) throw new RecipeError(issues);

  const base: Partial<Recipe> = { ...recipe };
  delete base.sweep;
  const cellIssues = new Map<string, { issue: RecipeIssue; cells: SweepCell[] }>();
  const note = (cell: SweepCell, issue: RecipeIssue) => {
    const key = `${issue.path}\0${issue.message}`;
    const seen = cellIssues.get(key) ?? { issue, cells: [] };
    seen.cells.push(cell);
    cellIssues.set(key, seen);
  };
  const cells: SweepCellPlan[] = [];
  const warnings = new Map<string, RecipeIssue>();
  for (const cell of expanded.cells) {
    const value = structuredClone(base) as unknown;
    for (const [path, v] of Object.entries(cell.values)) {
      const problem = setRecipePath(value, path, v);
      if (problem) note(cell, { path: `sweep.${cell.origins[path]![1]}`, message: `${path}: ${problem}` });
    }
    try {
      const plan = compileOne(parseRecipeValue(value), options);
      cells.push({ index: cell.index, values: cell.values, plan });
      for (const w of plan.warnings ?? []) warnings.set(`${w.path}\0${w.message}`, w);
    } catch (err) {
      if (!(err instanceof RecipeError)) throw err;
      for (const issue of err.issues) note(cell, issue);
    }
  }
  for (const { issue, cells: failing } of cellIssues.values()) {
    if (failing.length === expanded.cells.length && expanded.cells.length > 1) {
      issues.push(...addLines(recipe, [issue]));
      continue;
    }
    for (const cell of failing) {
      // The line of the cell's own value when the issue is about a path the cell sets; else the recipe's.
      const own = Object.keys(cell.values).find((p) => {
        const at = recipePathOf(recipe, p);
        return at !== null && (issue.path === at || issue.path.startsWith(`${at}.`) || issue.path.startsWith(`${at}[`));
      });
      const message = `sweep ${cellLabel(cell)}: ${issue.message}`;
      issues.push(own ? { ...issue, ...locateInRecipe(recipe, cell.origins[own]!), message } : { ...addLines(recipe, [issue])[0]!, message });
    }
  }
  if (issues.length > 0) throw new RecipeError(issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)));

  const plan: Plan = {
    apiVersion: 'braise/v1',
    name: recipe.name,
    recipeHash: sha256(canonicalJson(recipe)),
    nodes: [],
    recipe,
    warnings: addLines(recipe, [...warnings.values()]),
    sweep: {
      paths: sweepPaths(expanded.cells),
      cells,
      parallelism: sweep.parallelism,
      compare: sweep.compare ? { metric: sweep.compare.metric, goal: sweep.compare.goal, ...(baseline !== undefined && { baseline }) } : null,
      regressionThreshold: sweep.regressionThreshold,
    },
  };
  checkPlanBytes(plan, 'sweep', 'fewer cells, or a smaller recipe');
  return plan;
}

/**
 * What a sweep block names that the recipe lacks: a stage a path sets (in `matrix`, `include` or `exclude`), the stage
 * `compare.metric` reads, and for an evaluate stage a metric it does not record.
 */
function sweepRefIssues(recipe: Recipe, where: (raw: Array<string | number>, path: string) => Pick<RecipeIssue, 'path' | 'line' | 'column'>): RecipeIssue[] {
  const sweep = recipe.sweep!;
  const issues: RecipeIssue[] = [];
  const ids = recipe.stages.map((s) => s.id);
  const stageOf = (path: string) => /^stages\.([a-z][a-z0-9_-]*)\./.exec(path)?.[1];
  const checkPath = (path: string, raw: Array<string | number>, at: string) => {
    const id = stageOf(path);
    if (id !== undefined && !ids.includes(id)) issues.push({ ...where(raw, at), message: `"${path}": no stage "${id}" in this recipe${didYouMean(id, ids)} (stages: ${listNames(ids)})` });
  };
  for (const path of Object.keys(sweep.matrix)) checkPath(path, ['sweep', 'matrix', path], 'sweep.matrix');
  for (const key of ['include', 'exclude'] as const) {
    (sweep[key] ?? []).forEach((entry, k) => {
      for (const path of Object.keys(entry)) checkPath(path, ['sweep', key, k, path], `sweep.${key}[${k}]`);
    });
  }
  if (sweep.compare) {
    const [id, ...rest] = sweep.compare.metric.split('/');
    const metric = rest.join('/');
    const stage = recipe.stages.find((s) => s.id === id);
    const at = where(['sweep', 'compare', 'metric'], 'sweep.compare.metric');
    if (!stage) issues.push({ ...at, message: `no stage "${id}" in this recipe${didYouMean(id!, ids)} (stages: ${listNames(ids)}): expected "<stageId>/<metric>"` });
    else {
      const problem = metricProblem(stage, metric);
      if (problem) issues.push({ ...at, message: problem });
    }
  }
  return issues;
}

/** Whether stage `stage` records `metric`, where the registry knows its names (evaluate's: evaluate-metrics.ts); null if it may. */
function metricProblem(stage: Stage, metric: string): string | null {
  if (stage.kind !== 'evaluate') return null;
  const parsed = parseEvaluateMetric(metric);
  const tasks = ((stage.with as { tasks?: Array<string | { task: string; name?: string }> }).tasks ?? ['perplexity']).map((t) => (typeof t === 'string' ? t : (t.name ?? t.task)));
  const example = evaluateMetricName({ task: 'perplexity', domain: 'mean', metric: 'bits_per_byte' });
  if (!parsed) return `evaluate stage "${stage.id}" records no metric "${metric}": expected "<task>/<domain>/bits_per_byte" or "<task>/<exact_match|acc|acc_norm>" (e.g. "${stage.id}/${example}")`;
  if (!tasks.includes(parsed.task)) return `evaluate stage "${stage.id}" has no task "${parsed.task}" (its tasks: ${tasks.join(', ')})`;
  return null;
}

function checkTimeouts(stage: Stage, i: number, issues: RecipeIssue[], warnings: RecipeIssue[]): void {
  const t = stage.timeouts;
  if (!t) return;
  const base = `stages[${i}].timeouts`;
  const b = TIMEOUT_BOUNDS;
  const startToClose = t.startToClose !== undefined ? toMs(t.startToClose) : undefined;
  const heartbeat = t.heartbeat !== undefined ? toMs(t.heartbeat) : undefined;
  if (startToClose !== undefined && !(startToClose >= b.minStartToCloseMs && startToClose <= b.maxStartToCloseMs)) {
    issues.push({ path: `${base}.startToClose`, message: `${show(t.startToClose!)} is outside what a stage can work with: expected from ${fmtMs(b.minStartToCloseMs)} to ${fmtMs(b.maxStartToCloseMs)}` });
  }
  if (heartbeat === undefined) return;
  if (!spec(stage.kind).long) {
    warnings.push({ path: `${base}.heartbeat`, message: `ignored: ${stage.kind} stages do not heartbeat (only long stages do: ${Object.values(NODE_SPECS).filter((k) => k.long).map((k) => k.kind).join(', ')})` });
    return;
  }
  if (!(heartbeat >= b.minHeartbeatMs && heartbeat <= b.maxHeartbeatMs)) {
    issues.push({
      path: `${base}.heartbeat`,
      message: `${show(t.heartbeat!)} is outside what detects a dead worker without false alarms: expected from ${fmtMs(b.minHeartbeatMs)} to ${fmtMs(b.maxHeartbeatMs)}`,
    });
  } else if (startToClose !== undefined && heartbeat >= startToClose) {
    issues.push({ path: `${base}.heartbeat`, message: `${show(t.heartbeat!)} is not shorter than startToClose ${show(t.startToClose!)}: a heartbeat timeout must be shorter than the attempt` });
  }
}

function checkMemory(recipe: Recipe, stage: Stage, i: number, workerBytes: number, issues: RecipeIssue[]): void {
  if (!spec(stage.kind).trains) return;
  const w = stage.with as { batchSize?: unknown; backend?: unknown };
  if (typeof w.batchSize !== 'number') return;
  const m = recipe.model;
  const estimate = estimateTrainingMemory({ layers: m.layers, dModel: m.dModel, heads: m.heads, context: m.context, batchSize: w.batchSize });
  const wasm = w.backend === 'wasm';
  const limit = wasm ? Math.min(workerBytes, WASM_MEMORY_BYTES) : workerBytes;
  if (estimate.bytes <= limit) return;
  const shape = `${m.layers} layers × dModel ${m.dModel}, ${m.heads} heads, context ${m.context}, batchSize ${w.batchSize}: ${(estimate.parameters / 1e6).toFixed(1)}M parameters`;
  const whose = wasm ? `the wasm backend's ${formatBytes(limit)}` : `the worker's ${formatBytes(limit)} (BRAISE_WORKER_MEMORY)`;
  issues.push({
    path: `stages[${i}].with`,
    message: `estimated training memory ${formatBytes(estimate.bytes)} exceeds ${whose} (${shape}): lower batchSize, the context or the model size`,
  });
}

function show(d: string | number): string {
  return typeof d === 'number' ? `${d} ms` : `"${d}"`;
}

function fmtMs(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  return `${ms / SECOND}s`;
}

/** A node kind's spec, widened to the registry's element type. */
function spec(kind: NodeKind): AnyStageSpec {
  return NODE_SPECS[kind];
}

/** References a stage makes from its `with` block (its spec's `refs`), each becoming an input with its role's artifact kind. */
function roleRefs(stage: Stage, i: number): Array<{ ref: string; role: string; path: string; kind: ArtifactKind }> {
  const roles = spec(stage.kind).roles;
  return refsOf(stage.kind, stage.with).map((r) => ({ ...r, path: `stages[${i}].with.${r.path}`, kind: roles[r.role] ?? 'dataset' }));
}

/** What references resolve against; `known` is the list for error messages, built once on the first error. */
interface RefContext {
  datasets: Set<string>;
  stages: Stage[];
  stageIndex: Map<string, number>;
  known: string[] | null;
}

function resolveRef(ref: string, path: string, stage: Stage, ctx: RefContext, accepts: readonly ArtifactKind[], issues: RecipeIssue[]): PlanInput | null {
  const [node, port] = ref.split('.') as [string, string | undefined];
  if (ctx.datasets.has(node)) {
    if (port) issues.push({ path, message: `dataset "${node}" has no ports; write "${node}"` });
    if (!accepts.includes('dataset')) {
      issues.push({ path, message: `"${ref}" is a dataset; expected ${accepts.join(' or ')}` });
      return null;
    }
    return { node, port: 'data', kind: 'dataset' };
  }
  const at = ctx.stageIndex.get(node);
  const producer = at === undefined ? undefined : ctx.stages[at];
  if (!producer) {
    ctx.known ??= [...ctx.datasets, ...ctx.stageIndex.keys()];
    issues.push({ path, message: `unknown input "${node}"${didYouMean(node, ctx.known)} (datasets and stages: ${listNames(ctx.known)})` });
    return null;
  }
  if (producer.id === stage.id) {
    issues.push({ path, message: `stage "${stage.id}" cannot consume its own output` });
    return null;
  }
  const ports = spec(producer.kind).ports;
  const portName = port ?? Object.keys(ports)[0]!;
  const kind = ports[portName];
  if (!kind) {
    issues.push({ path, message: `stage "${node}" (${producer.kind}) has no port "${portName}"${didYouMean(portName, Object.keys(ports))} (ports: ${Object.keys(ports).join(', ')})` });
    return null;
  }
  if (!accepts.includes(kind)) {
    issues.push({ path, message: `"${ref}" is a ${kind}; ${stage.kind} accepts ${accepts.join(' or ')} there` });
    return null;
  }
  return { node, port: portName, kind };
}

function resolveInputs(stage: Stage, i: number, ctx: RefContext, issues: RecipeIssue[]): PlanInput[] {
  const kindSpec = spec(stage.kind);
  const inputs: PlanInput[] = [];
  let unresolved = 0;
  stage.inputs.forEach((ref, j) => {
    const input = resolveRef(ref, `stages[${i}].inputs[${j}]`, stage, ctx, kindSpec.inputs.accepts, issues);
    if (input) inputs.push(input);
    else unresolved++;
  });
  // Inputs the kind implies from those written (evaluate: a pretrained model's held-out split).
  const portsOf = (node: string) => {
    const at = ctx.stageIndex.get(node);
    const producer = at === undefined ? undefined : ctx.stages[at];
    return producer ? spec(producer.kind).ports : undefined;
  };
  inputs.push(...(kindSpec.impliedInputs?.(inputs, portsOf) ?? []));
  const requires = kindSpec.inputs.requires;
  if (requires && unresolved === 0 && !inputs.some((x) => x.kind === requires)) {
    issues.push({ path: `stages[${i}].inputs`, message: `${stage.kind} needs at least one ${requires} input` });
  }
  for (const r of roleRefs(stage, i)) {
    const input = resolveRef(r.ref, r.path, stage, ctx, [r.kind], issues);
    if (input) inputs.push({ ...input, role: r.role });
  }
  return inputs;
}

/**
 * Kahn's algorithm, in time linear in stages and edges, giving the order the recipe has always compiled to:
 * repeated passes in recipe order, each taking every stage whose inputs are done. A stage's pass is the least
 * p with every input done in an earlier pass, or earlier in the same pass; nodes are sorted by (pass, index).
 * Reports every stage that never becomes ready (on a cycle, or after one).
 */
function topoOrder(stages: Stage[], stageIndex: Map<string, number>, inputs: PlanInput[][], issues: RecipeIssue[]): number[] {
  const n = stages.length;
  const deps = inputs.map((ins) => [...new Set(ins.map((x) => stageIndex.get(x.node)).filter((x): x is number => x !== undefined))]);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  const waiting = deps.map((d) => d.length);
  deps.forEach((ds, i) => ds.forEach((d) => dependents[d]!.push(i)));
  const ready: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
  const pass = new Array<number>(n).fill(0);
  const done: number[] = [];
  for (let head = 0; head < ready.length; head++) {
    const i = ready[head]!;
    pass[i] = deps[i]!.reduce((p, d) => Math.max(p, pass[d]! + (d > i ? 1 : 0)), 1);
    done.push(i);
    for (const j of dependents[i]!) if (--waiting[j]! === 0) ready.push(j);
  }
  if (done.length < n) {
    const finished = new Set(done);
    const stuck = stages.map((_, i) => i).filter((i) => !finished.has(i));
    const names = listNames(stuck.map((i) => stages[i]!.id)).replaceAll(', ', ' → ');
    for (const i of stuck) issues.push({ path: `stages[${i}].inputs`, message: `dependency cycle among stages: ${names}` });
  }
  return done.sort((a, b) => pass[a]! - pass[b]! || a - b);
}

function makeNode(
  id: string,
  kind: NodeKind,
  inputs: PlanInput[],
  withBlock: Record<string, unknown>,
  context: PlanNode['context'],
  stage: Stage | undefined,
  recipe: Recipe,
): PlanNode {
  const nodeSpec = spec(kind);
  const implVersion = nodeSpec.implVersion;
  const heartbeatMs = nodeSpec.long ? (stage?.timeouts?.heartbeat !== undefined ? toMs(stage.timeouts.heartbeat) : 60_000) : null;
  const startToCloseMs = stage?.timeouts?.startToClose !== undefined ? toMs(stage.timeouts.startToClose) : nodeSpec.long ? 24 * 60 * MINUTE : 30 * MINUTE;
  // Settings that change a stage's output belong in its fingerprint; the model
  // shape only matters to stages that build models.
  const usesModel = nodeSpec.queue === 'braise-gpu';
  const fingerprint = sha256(
    canonicalJson({ kind, with: withBlock, implVersion, model: usesModel ? context.model : null, seed: kind === 'ingest' ? null : context.seed }),
  );
  return {
    id,
    kind,
    queue: stage?.queue ?? nodeSpec.queue,
    inputs,
    with: withBlock,
    context,
    ports: { ...nodeSpec.ports },
    fingerprint,
    implVersion,
    timeouts: { startToCloseMs, heartbeatMs },
    retry: { maximumAttempts: (stage?.retries ?? 2) + 1 },
    onFailure: stage?.onFailure ?? recipe.onFailure,
  };
}

/** "30s" | "10m" | "2h" | "1d" | "500ms" | number (ms) → milliseconds. */
export function toMs(d: string | number): number {
  if (typeof d === 'number') return d;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`invalid duration "${d}"`);
  const unit = { ms: 1, s: 1000, m: MINUTE, h: 60 * MINUTE, d: 24 * 60 * MINUTE }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

/** JSON with sorted keys, so equal values hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
