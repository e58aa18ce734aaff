/**
 * infra/k8s/: every overlay as kustomize builds it, validated against Kubernetes' own schemas (kubernetes-validate,
 * strict: unknown fields are errors) and, for the ScaledObject, against KEDA's CRD schema from its Go module (also
 * strict), then checked for what an operator relies on: workers outlive their own shutdown, the GPU worker asks for a
 * GPU and tolerates GPU nodes, KEDA scales it on the braise-gpu activity backlog from zero and never faster than a
 * worker can checkpoint, the migration runs as a Job, and every variable set is one Braise reads. No cluster.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { DEPLOY_TOOLS } from '../../../infra/k8s/tools.ts';
import { QUEUES, WORKER_SHUTDOWN } from '../../../infra/temporal/worker.ts';
import { parseByteSize } from '../../../recipe/limits.ts';
import { unreadEnv } from './env-names.ts';
import { requireTool, ROOT, run } from './tools.ts';

const OVERLAYS = ['base', 'overlays/dev', 'overlays/production'] as const;
const K8S = join(ROOT, 'infra', 'k8s');

const container = z.looseObject({
  name: z.string(),
  image: z.string(),
  args: z.array(z.string()).optional(),
  env: z.array(z.looseObject({ name: z.string() })).optional(),
  envFrom: z.array(z.looseObject({ configMapRef: z.object({ name: z.string() }).optional(), secretRef: z.object({ name: z.string() }).optional() })).optional(),
  resources: z.looseObject({ requests: z.record(z.string(), z.union([z.string(), z.number()])).optional(), limits: z.record(z.string(), z.union([z.string(), z.number()])).optional() }).optional(),
});
const podSpec = z.looseObject({
  containers: z.array(container),
  terminationGracePeriodSeconds: z.number().optional(),
  tolerations: z.array(z.looseObject({ key: z.string().optional() })).optional(),
});
const resource = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
  data: z.record(z.string(), z.string()).optional(),
  spec: z.looseObject({ replicas: z.number().optional(), template: z.looseObject({ spec: podSpec }).optional() }).optional(),
});
type Resource = z.infer<typeof resource>;

const built = new Map<string, { yaml: string; resources: Resource[] }>();

function build(ctx: Parameters<typeof requireTool>[0], overlay: string): { yaml: string; resources: Resource[] } {
  const kustomize = requireTool(ctx, 'kustomize');
  const hit = built.get(overlay);
  if (hit) return hit;
  const r = run(kustomize, ['build', join(K8S, overlay)]);
  expect(r.ok, `kustomize build ${overlay}: ${r.stderr}`).toBe(true);
  const docs = parseAllDocuments(r.stdout).map((d) => resource.parse(d.toJS()));
  built.set(overlay, { yaml: r.stdout, resources: docs });
  return built.get(overlay)!;
}

const named = (rs: Resource[], kind: string, name: string) => {
  const r = rs.find((x) => x.kind === kind && (x.metadata.name === name || x.metadata.name.startsWith(`${name}-`)));
  if (!r) throw new Error(`no ${kind} ${name}`);
  return r;
};
const pod = (r: Resource) => r.spec!.template!.spec;

/** KEDA's ScaledObject schema with unknown fields refused, as the API server's strict field validation would. */
function strictScaledObjectSchema(crdPath: string): object {
  const crd = z
    .object({ spec: z.object({ versions: z.array(z.object({ name: z.string(), schema: z.object({ openAPIV3Schema: z.record(z.string(), z.unknown()) }) })) }) })
    .parse(parse(readFileSync(crdPath, 'utf8')));
  const schema = crd.spec.versions.find((v) => v.name === 'v1alpha1')!.schema.openAPIV3Schema;
  const strict = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strict);
    if (node === null || typeof node !== 'object') return node;
    const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)])) : strict(v)]));
    // metadata is the API server's (ObjectMeta), not the CRD's: leave it open.
    if ('properties' in out && !('additionalProperties' in out) && !('x-kubernetes-preserve-unknown-fields' in out) && !('metadata' in (out.properties as object))) {
      out.additionalProperties = false;
    }
    return out;
  };
  return strict(schema) as object;
}

describe.each(OVERLAYS)('infra/k8s/%s', (overlay) => {
  it('builds with kustomize and passes Kubernetes schema validation (strict); the validator refuses a broken manifest', (ctx) => {
    const { yaml } = build(ctx, overlay);
    const validate = requireTool(ctx, 'kubernetes-validate');
    const dir = mkdtempSync(join(tmpdir(), 'braise-k8s-'));
    writeFileSync(join(dir, 'built.yaml'), yaml);
    const r = run(validate, ['--strict', '-k', DEPLOY_TOOLS.kubernetesVersion, join(dir, 'built.yaml')]);
    expect(r.ok, r.stdout + r.stderr).toBe(true);
    // Only KEDA's kinds are unknown to it (they are checked against KEDA's CRD below).
    const unknown = [...(r.stdout + r.stderr).matchAll(/Couldn't find schema for kind (\w+)/g)].map((m) => m[1]);
    expect(unknown.every((k) => k === 'ScaledObject'), unknown.join(', ')).toBe(true);
    expect((r.stdout + r.stderr).match(/passed for resource/g)?.length).toBeGreaterThanOrEqual(9);
    writeFileSync(join(dir, 'bad.yaml'), yaml.replace(/terminationGracePeriodSeconds: 90/, 'terminationGracePeriodSecond: 90'));
    const bad = run(validate, ['--strict', '--quiet', '-k', DEPLOY_TOOLS.kubernetesVersion, join(dir, 'bad.yaml')]);
    expect(bad.ok).toBe(false);
    expect(bad.stdout + bad.stderr).toContain('terminationGracePeriodSecond');
  });

  it('lets every worker outlive its own shutdown, runs the migration as a Job and sets only variables Braise reads', (ctx) => {
    const { resources } = build(ctx, overlay);
    const config = named(resources, 'ConfigMap', 'braise-config');
    for (const name of ['braise-worker', 'braise-worker-gpu']) {
      const spec = pod(named(resources, 'Deployment', name));
      expect(spec.terminationGracePeriodSeconds, name).toBeGreaterThan(WORKER_SHUTDOWN.forceSeconds);
      expect(spec.containers[0]!.args?.slice(0, 2)).toEqual(['worker', '--queue']);
    }
    expect(pod(named(resources, 'Deployment', 'braise-worker-gpu')).containers[0]!.args).toEqual(['worker', '--queue', 'gpu']);
    expect(pod(named(resources, 'Deployment', 'braise-worker')).containers[0]!.args).toEqual(['worker', '--queue', 'control', 'cpu']);
    expect(pod(named(resources, 'Job', 'braise-migrate')).containers[0]!.args).toEqual(['migrate']);

    const containers = resources.filter((r) => r.spec?.template).flatMap((r) => pod(r).containers);
    for (const c of containers) {
      // Config and secrets come from the environment: the generated ConfigMap and the Secret made out of band.
      expect(c.envFrom?.map((e) => e.configMapRef?.name ?? e.secretRef?.name)).toEqual([config.metadata.name, 'braise-secrets']);
    }
    const names = [...Object.keys(config.data ?? {}), ...containers.flatMap((c) => (c.env ?? []).map((e) => e.name)), 'DATABASE_URL'];
    expect(unreadEnv(names)).toEqual([]);

    // Training stages are refused at submit time above BRAISE_WORKER_MEMORY: the GPU worker must have that much.
    const limit = pod(named(resources, 'Deployment', 'braise-worker-gpu')).containers[0]!.resources?.limits?.memory;
    expect(parseByteSize(String(limit).replace(/i$/, 'iB'))).toBeGreaterThanOrEqual(parseByteSize(config.data!.BRAISE_WORKER_MEMORY!)!);
  });
});

describe('infra/k8s/overlays/production', () => {
  it('gives the GPU worker a GPU on GPU nodes and a disruption budget to every worker', (ctx) => {
    const { resources } = build(ctx, 'overlays/production');
    const spec = pod(named(resources, 'Deployment', 'braise-worker-gpu'));
    expect(spec.containers[0]!.resources?.limits?.['nvidia.com/gpu']).toBe(1);
    expect(spec.tolerations?.map((t) => t.key)).toContain('nvidia.com/gpu');
    expect(spec.containers[0]!.image).toMatch(/braise-worker-gpu:\d/);
    for (const component of ['worker', 'worker-gpu']) {
      const pdb = resources.find((r) => r.kind === 'PodDisruptionBudget' && JSON.stringify(r.spec).includes(`"app.kubernetes.io/component":"${component}"`));
      expect(pdb, `a PodDisruptionBudget selecting ${component}`).toBeDefined();
    }
    expect(new Set(resources.map((r) => r.metadata.namespace))).toEqual(new Set(['braise']));
  });

  it('scales GPU workers with KEDA on the braise-gpu activity backlog, from zero, never under a running run', (ctx) => {
    const { resources } = build(ctx, 'overlays/production');
    const crd = requireTool(ctx, 'keda-crd');
    const scaledObject = named(resources, 'ScaledObject', 'braise-worker-gpu');
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(strictScaledObjectSchema(crd));
    expect(validate(scaledObject), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...scaledObject, spec: { ...scaledObject.spec, cooldownPeriods: 1 } })).toBe(false); // the schema is real and strict

    const so = z
      .object({
        spec: z.object({
          scaleTargetRef: z.object({ name: z.string() }),
          minReplicaCount: z.number(),
          cooldownPeriod: z.number(),
          advanced: z.object({ horizontalPodAutoscalerConfig: z.object({ behavior: z.object({ scaleDown: z.object({ stabilizationWindowSeconds: z.number() }) }) }) }),
          triggers: z.array(z.object({ type: z.string(), metadata: z.record(z.string(), z.string()) })),
        }),
      })
      .parse(scaledObject);
    const target = named(resources, 'Deployment', so.spec.scaleTargetRef.name);
    expect(pod(target).containers[0]!.args).toEqual(['worker', '--queue', 'gpu']);
    expect(target.spec!.replicas, 'the HPA owns the replica count').toBeUndefined();
    expect(so.spec.minReplicaCount).toBe(0);
    expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(WORKER_SHUTDOWN.forceSeconds);
    expect(so.spec.cooldownPeriod).toBeGreaterThanOrEqual(WORKER_SHUTDOWN.forceSeconds);
    expect(so.spec.triggers).toHaveLength(1);
    const [trigger] = so.spec.triggers;
    expect(trigger!.type).toBe('temporal');
    expect(trigger!.metadata).toMatchObject({ taskQueue: QUEUES.gpu, queueTypes: 'activity', includeRunningWorkflowCount: 'true', workflowTaskQueueForCount: QUEUES.control });
    // Trigger metadata is a free string map to the CRD: its keys are checked against the ones KEDA's temporal scaler
    // reads (its `keda:"name=…"` tags, in the same module; `<name>FromEnv` is KEDA's resolvedEnv form of `<name>`).
    const scaler = readFileSync(join(dirname(crd), '..', '..', '..', 'pkg', 'scalers', 'temporal_scaler.go'), 'utf8');
    const known = new Set([...scaler.matchAll(/keda:"name=(\w+),\s*order=triggerMetadata/g)].map((m) => m[1]));
    expect(known.size, 'tags found in temporal_scaler.go').toBeGreaterThan(5);
    for (const key of Object.keys(trigger!.metadata)) expect(known, `trigger metadata "${key}"`).toContain(key.replace(/FromEnv$/, ''));
    // KEDA asks the server and namespace the workers use: read from their environment, not written twice.
    const config = named(resources, 'ConfigMap', 'braise-config');
    expect(trigger!.metadata.endpointFromEnv).toBe('TEMPORAL_ADDRESS');
    expect(trigger!.metadata.namespaceFromEnv).toBe('TEMPORAL_NAMESPACE');
    expect(config.data).toHaveProperty('TEMPORAL_ADDRESS');
    expect(config.data).toHaveProperty('TEMPORAL_NAMESPACE');
  });
});

describe('infra/k8s/temporal/values.yaml (the official Helm chart)', () => {
  it('persists to Postgres, creates the namespace Braise uses and serves the frontend where Braise looks for it', (ctx) => {
    const values = z
      .object({
        server: z.object({
          config: z.object({
            persistence: z.object({ datastores: z.record(z.string(), z.object({ sql: z.looseObject({ pluginName: z.string(), databaseName: z.string() }) })) }),
            namespaces: z.object({ create: z.boolean(), namespace: z.array(z.object({ name: z.string() })) }),
          }),
        }),
      })
      .parse(parse(readFileSync(join(K8S, 'temporal', 'values.yaml'), 'utf8')));
    const stores = values.server.config.persistence.datastores;
    expect(Object.keys(stores).sort()).toEqual(['default', 'visibility']);
    for (const s of Object.values(stores)) expect(s.sql.pluginName).toBe('postgres12');
    const config = named(build(ctx, 'overlays/production').resources, 'ConfigMap', 'braise-config');
    expect(values.server.config.namespaces.create).toBe(true);
    expect(values.server.config.namespaces.namespace.map((n) => n.name)).toContain(config.data!.TEMPORAL_NAMESPACE);
    // `helm install temporal … -n temporal`: the chart's frontend Service is <release>-frontend.
    expect(config.data!.TEMPORAL_ADDRESS).toBe('temporal-frontend.temporal.svc.cluster.local:7233');
  });
});
