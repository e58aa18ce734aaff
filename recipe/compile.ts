/**
 * Compiles a validated recipe into a {@link Plan}: dataset and stage nodes in
 * topological order, resolved defaults, typed inputs, a fingerprint per node.
 * Pure: runs outside the workflow so replay never depends on it.
 */
import { createHash } from 'node:crypto';
import type { Recipe, Stage } from './schema.ts';
import { KINDS, IMPLEMENTED_KINDS, type ArtifactKind } from './kinds.ts';
import { RecipeError, type RecipeIssue } from './errors.ts';
import type { Plan, PlanInput, PlanNode } from './plan.ts';

const MINUTE = 60_000;

/** Compiles a recipe; throws {@link RecipeError} with every semantic problem (unknown inputs, wrong artifact kinds, cycles…). */
export function compileRecipe(recipe: Recipe): Plan {
  const issues: RecipeIssue[] = [];
  const datasetNames = new Set(Object.keys(recipe.datasets));
  const stageIndex = new Map<string, number>();

  recipe.stages.forEach((stage, i) => {
    if (stageIndex.has(stage.id)) issues.push({ path: `stages[${i}].id`, message: `duplicate stage id "${stage.id}" (also stages[${stageIndex.get(stage.id)}])` });
    else if (datasetNames.has(stage.id)) issues.push({ path: `stages[${i}].id`, message: `stage id "${stage.id}" is also a dataset name` });
    else stageIndex.set(stage.id, i);
    if (KINDS[stage.kind].implVersion === null) {
      issues.push({ path: `stages[${i}].kind`, message: `stage kind "${stage.kind}" is not available in this version of Braise (available: ${IMPLEMENTED_KINDS.join(', ')})` });
    }
  });

  const resolvedInputs = recipe.stages.map((stage, i) => resolveInputs(stage, i, datasetNames, recipe, issues));
  const order = topoOrder(recipe.stages, resolvedInputs, issues);
  if (issues.length > 0) throw new RecipeError(issues);

  const context = { model: { ...recipe.model }, seed: recipe.seed };
  const nodes: PlanNode[] = [];
  for (const [name, spec] of Object.entries(recipe.datasets)) {
    nodes.push(makeNode(name, 'ingest', [], { ...spec }, context, undefined, recipe));
  }
  for (const i of order) {
    const stage = recipe.stages[i]!;
    nodes.push(makeNode(stage.id, stage.kind, resolvedInputs[i]!, stage.with as Record<string, unknown>, context, stage, recipe));
  }
  return {
    apiVersion: 'braise/v1',
    name: recipe.name,
    recipeHash: sha256(canonicalJson(recipe)),
    nodes,
    recipe,
  };
}

/** References a stage makes from its `with` block, each becoming an input with a role. */
function roleRefs(stage: Stage, i: number): Array<{ ref: string; role: string; path: string; kind: ArtifactKind }> {
  const out: Array<{ ref: string; role: string; path: string; kind: ArtifactKind }> = [];
  const w = stage.with as { decontaminate?: { against: string[] }; classifier?: { high: string[]; low: string[] }; model?: string };
  const base = `stages[${i}].with`;
  w.decontaminate?.against.forEach((ref, j) => out.push({ ref, role: 'eval', path: `${base}.decontaminate.against[${j}]`, kind: 'dataset' }));
  w.classifier?.high.forEach((ref, j) => out.push({ ref, role: 'high', path: `${base}.classifier.high[${j}]`, kind: 'dataset' }));
  w.classifier?.low.forEach((ref, j) => out.push({ ref, role: 'low', path: `${base}.classifier.low[${j}]`, kind: 'dataset' }));
  if (stage.kind === 'rewrite' && w.model) out.push({ ref: w.model, role: 'model', path: `${base}.model`, kind: 'model' });
  return out;
}

function resolveRef(
  ref: string,
  path: string,
  stage: Stage,
  datasets: Set<string>,
  recipe: Recipe,
  accepts: ArtifactKind[],
  issues: RecipeIssue[],
): PlanInput | null {
  const [node, port] = ref.split('.') as [string, string | undefined];
  if (datasets.has(node)) {
    if (port) issues.push({ path, message: `dataset "${node}" has no ports; write "${node}"` });
    if (!accepts.includes('dataset')) {
      issues.push({ path, message: `"${ref}" is a dataset; expected ${accepts.join(' or ')}` });
      return null;
    }
    return { node, port: 'data', kind: 'dataset' };
  }
  const producer = recipe.stages.find((s) => s.id === node);
  if (!producer) {
    const known = [...datasets, ...recipe.stages.map((s) => s.id)].join(', ');
    issues.push({ path, message: `unknown input "${node}" (datasets and stages: ${known})` });
    return null;
  }
  if (producer.id === stage.id) {
    issues.push({ path, message: `stage "${stage.id}" cannot consume its own output` });
    return null;
  }
  const ports = KINDS[producer.kind].ports;
  const portName = port ?? Object.keys(ports)[0]!;
  const kind = ports[portName];
  if (!kind) {
    issues.push({ path, message: `stage "${node}" (${producer.kind}) has no port "${portName}" (ports: ${Object.keys(ports).join(', ')})` });
    return null;
  }
  if (!accepts.includes(kind)) {
    issues.push({ path, message: `"${ref}" is a ${kind}; ${stage.kind} accepts ${accepts.join(' or ')} there` });
    return null;
  }
  return { node, port: portName, kind };
}

function resolveInputs(stage: Stage, i: number, datasets: Set<string>, recipe: Recipe, issues: RecipeIssue[]): PlanInput[] {
  const spec = KINDS[stage.kind];
  const inputs: PlanInput[] = [];
  let unresolved = 0;
  stage.inputs.forEach((ref, j) => {
    const input = resolveRef(ref, `stages[${i}].inputs[${j}]`, stage, datasets, recipe, spec.accepts, issues);
    if (input) inputs.push(input);
    else unresolved++;
  });
  // An evaluation of a pretrained model scores its held-out documents unless told otherwise.
  if (stage.kind === 'evaluate' && !inputs.some((x) => x.kind === 'dataset')) {
    for (const m of inputs.filter((x) => x.kind === 'model')) {
      const producer = recipe.stages.find((s) => s.id === m.node);
      if (producer && 'heldout' in KINDS[producer.kind].ports) inputs.push({ node: m.node, port: 'heldout', kind: 'dataset' });
    }
  }
  if (spec.requires && unresolved === 0 && !inputs.some((x) => x.kind === spec.requires)) {
    issues.push({ path: `stages[${i}].inputs`, message: `${stage.kind} needs at least one ${spec.requires} input` });
  }
  for (const r of roleRefs(stage, i)) {
    const input = resolveRef(r.ref, r.path, stage, datasets, recipe, [r.kind], issues);
    if (input) inputs.push({ ...input, role: r.role });
  }
  return inputs;
}

/** Kahn's algorithm in recipe order; reports every stage on a cycle. */
function topoOrder(stages: Stage[], inputs: PlanInput[][], issues: RecipeIssue[]): number[] {
  const idx = new Map(stages.map((s, i) => [s.id, i]));
  const deps = inputs.map((ins) => new Set(ins.map((x) => idx.get(x.node)).filter((x): x is number => x !== undefined)));
  const done = new Set<number>();
  const order: number[] = [];
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (let i = 0; i < stages.length; i++) {
      if (done.has(i) || [...deps[i]!].some((d) => !done.has(d))) continue;
      done.add(i);
      order.push(i);
      progressed = true;
    }
  }
  const stuck = stages.map((_, i) => i).filter((i) => !done.has(i));
  if (stuck.length > 0) {
    const names = stuck.map((i) => stages[i]!.id).join(' → ');
    for (const i of stuck) issues.push({ path: `stages[${i}].inputs`, message: `dependency cycle among stages: ${names}` });
  }
  return order;
}

function makeNode(
  id: string,
  kind: string,
  inputs: PlanInput[],
  withBlock: Record<string, unknown>,
  context: PlanNode['context'],
  stage: Stage | undefined,
  recipe: Recipe,
): PlanNode {
  const spec = KINDS[kind as keyof typeof KINDS];
  const implVersion = spec.implVersion ?? '0';
  const heartbeatMs = spec.long ? (stage?.timeouts?.heartbeat !== undefined ? toMs(stage.timeouts.heartbeat) : 60_000) : null;
  const startToCloseMs = stage?.timeouts?.startToClose !== undefined ? toMs(stage.timeouts.startToClose) : spec.long ? 24 * 60 * MINUTE : 30 * MINUTE;
  // Settings that change a stage's output belong in its fingerprint; the model
  // shape only matters to stages that build models.
  const usesModel = spec.queue === 'braise-gpu';
  const fingerprint = sha256(
    canonicalJson({ kind, with: withBlock, implVersion, model: usesModel ? context.model : null, seed: kind === 'ingest' ? null : context.seed }),
  );
  return {
    id,
    kind,
    queue: stage?.queue ?? spec.queue,
    inputs,
    with: withBlock,
    context,
    ports: { ...spec.ports } as Record<string, ArtifactKind>,
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
