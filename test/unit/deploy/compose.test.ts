/**
 * docker/: the compose file as Compose itself reads it (Debian's docker-compose `config`, which validates it against
 * its schema and resolves anchors, profiles and defaults) and the Dockerfile as dockerfile-parse reads it, checked
 * for what someone running `docker compose up` relies on: every long-running service restarts and reports health,
 * nothing starts before what it needs, the GPU worker gets a GPU, stops outlast the worker's own shutdown, images are
 * pinned and non-root, and every variable set is one Braise reads. No Docker daemon is needed (or used).
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { WORKER_SHUTDOWN } from '../../../infra/temporal/worker.ts';
import { unreadEnv } from './env-names.ts';
import { requireTool, ROOT, run } from './tools.ts';

const COMPOSE = join(ROOT, 'docker', 'compose.yaml');
const DOCKERFILE = join(ROOT, 'docker', 'Dockerfile');

const condition = z.enum(['service_started', 'service_healthy', 'service_completed_successfully']);
const service = z.looseObject({
  image: z.string().optional(),
  build: z.looseObject({ dockerfile: z.string(), target: z.string().optional() }).optional(),
  command: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  restart: z.string().optional(),
  healthcheck: z.looseObject({ test: z.array(z.string()) }).optional(),
  depends_on: z.record(z.string(), z.object({ condition })).optional(),
  environment: z.record(z.string(), z.string().nullable()).optional(),
  profiles: z.array(z.string()).optional(),
  stop_grace_period: z.string().optional(),
  volumes: z.array(z.string()).optional(),
  ports: z.array(z.looseObject({ published: z.union([z.number(), z.string()]), target: z.number() })).optional(),
  deploy: z.unknown().optional(),
});
type Service = z.infer<typeof service>;
const composeFile = z.looseObject({ services: z.record(z.string(), service), volumes: z.record(z.string(), z.unknown()).optional() });

let resolved: Record<string, Service> | null = null;

/** `docker-compose config` of the file with every profile on: what Compose will run (read once: each call costs a second). */
function composeConfig(bin: string): Record<string, Service> {
  if (resolved) return resolved;
  const r = run(bin, ['-f', COMPOSE, '--profile', 'gpu', 'config']);
  expect(r.ok, r.stderr).toBe(true);
  resolved = composeFile.parse(parse(r.stdout)).services;
  return resolved;
}

/** Seconds of a Compose duration (`90s`, `1m30s`). */
function seconds(d: string): number {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(d);
  if (!m || d === '') throw new Error(`not a duration: ${d}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

const isBraise = (s: Service) => s.build?.dockerfile === 'docker/Dockerfile' || (s.image ?? '').startsWith('braise-');
const oneShot = (s: Service) => s.restart?.startsWith('on-failure') === true;

describe('docker/compose.yaml', () => {
  it('is valid for Compose, which refuses a broken file (the validator is real)', (ctx) => {
    const bin = requireTool(ctx, 'docker-compose');
    expect(run(bin, ['-f', COMPOSE, 'config', '--quiet']).ok).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'braise-compose-'));
    writeFileSync(join(dir, 'bad.yaml'), 'services:\n  a:\n    image: x:1\n    depends_on: { b: { condition: service_healty } }\n  b: { image: y:1 }\n');
    const bad = run(bin, ['-f', join(dir, 'bad.yaml'), 'config', '--quiet']);
    expect(bad.ok).toBe(false);
    expect(bad.stderr).toContain('service_healty');
  });

  it('gives every long-running service a restart policy and a health check, and every one-shot a dependant that waits for it', (ctx) => {
    const services = composeConfig(requireTool(ctx, 'docker-compose'));
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'migrate', 'postgres', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker', 'worker-gpu'].sort(),
    );
    for (const [name, s] of Object.entries(services)) {
      expect(s.restart, `${name}: restart`).toMatch(/^(unless-stopped|always|on-failure(:\d+)?)$/);
      if (oneShot(s)) {
        const waiters = Object.values(services).filter((o) => o.depends_on?.[name]?.condition === 'service_completed_successfully');
        expect(waiters.length, `${name}: a one-shot service nothing waits for`).toBeGreaterThan(0);
      } else {
        expect(s.healthcheck?.test.length ?? 0, `${name}: healthcheck`).toBeGreaterThan(1);
      }
    }
  });

  it('starts nothing before what it needs: Temporal after its schema, Braise after Postgres, Temporal, the namespace and the migration', (ctx) => {
    const services = composeConfig(requireTool(ctx, 'docker-compose'));
    expect(services.temporal!.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    expect(services['temporal-schema']!.image).toMatch(/^temporalio\/admin-tools:/);
    const schemaScript = readFileSync(join(ROOT, 'docker', 'temporal', 'setup-schema.sh'), 'utf8');
    expect(schemaScript).toMatch(/temporal-sql-tool --plugin postgres12/);
    expect(schemaScript).toMatch(/setup-schema -v 0\.0/);
    expect(schemaScript).toMatch(/update-schema -d "\$SCHEMA\/temporal\/versioned"/);
    expect(services.temporal!.image).toMatch(/^temporalio\/server:\d/);
    for (const name of ['api', 'worker', 'worker-gpu']) {
      expect(services[name]!.depends_on, name).toMatchObject({
        postgres: { condition: 'service_healthy' },
        temporal: { condition: 'service_healthy' },
        'temporal-namespace': { condition: 'service_completed_successfully' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
    // The namespace Braise's services use exists before they start.
    expect(services['temporal-namespace']!.entrypoint?.join(' ')).toContain('temporal operator namespace create --namespace default');
    expect(services.migrate!.command).toEqual(['migrate']);
    expect(services.migrate!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  it('runs the GPU worker on the braise-gpu queue with an NVIDIA GPU, behind the gpu profile, and lets workers outlast their shutdown', (ctx) => {
    const services = composeConfig(requireTool(ctx, 'docker-compose'));
    const gpu = services['worker-gpu']!;
    expect(gpu.profiles).toEqual(['gpu']);
    expect(gpu.command).toEqual(['worker', '--queue', 'gpu']);
    expect(gpu.build?.target).toBe('worker-gpu');
    expect(gpu.deploy).toMatchObject({ resources: { reservations: { devices: [{ driver: 'nvidia', capabilities: ['gpu'] }] } } });
    expect(services.worker!.command).toEqual(['worker', '--queue', 'control', 'cpu']);
    for (const name of ['worker', 'worker-gpu']) {
      expect(seconds(services[name]!.stop_grace_period ?? '10s'), `${name}: stop_grace_period`).toBeGreaterThan(WORKER_SHUTDOWN.forceSeconds);
      // Artifacts and checkpoints are shared: a stage retried on the other worker finds its inputs and its checkpoint.
      expect(services[name]!.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^artifacts:\/mnt\/artifacts/), expect.stringMatching(/^checkpoints:\/var\/lib\/braise\/checkpoints/)]));
    }
  });

  it('serves the API, the Temporal UI its run links name and the Temporal frontend on the host ports the README gives', (ctx) => {
    const services = composeConfig(requireTool(ctx, 'docker-compose'));
    const published = (name: string) => (services[name]!.ports ?? []).map((p) => [Number(p.published), p.target]);
    expect(published('api')).toEqual([[8080, 8080]]);
    expect(published('temporal-ui')).toEqual([[8233, 8080]]);
    expect(published('temporal')).toEqual([[7233, 7233]]);
    expect(services.api!.environment).toMatchObject({ BRAISE_HOST: '0.0.0.0', BRAISE_PORT: '8080' });
    for (const s of Object.values(services).filter(isBraise)) {
      expect(s.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'default', TEMPORAL_UI_URL: 'http://localhost:8233' });
    }
  });

  it('pins every image and sets only variables Braise reads in its own services', (ctx) => {
    const services = composeConfig(requireTool(ctx, 'docker-compose'));
    for (const [name, s] of Object.entries(services)) {
      if (s.build) continue;
      expect(s.image, `${name}: image pinned by tag`).toMatch(/^[^:]+:(?!latest$)[\w.-]*\d[\w.-]*$/);
    }
    const names = Object.values(services).filter(isBraise).flatMap((s) => Object.keys(s.environment ?? {}));
    expect(names).toContain('TEMPORAL_ADDRESS');
    expect(unreadEnv(names)).toEqual([]);
  });
});

const instruction = z.object({ instruction: z.string(), value: z.string() });
const parsedDockerfile = z.object({ structure: z.array(instruction) });

/** The Dockerfile's stages as dockerfile-parse reads them: name, base, instructions. */
function stages(python: string): { name: string; from: string; body: z.infer<typeof instruction>[] }[] {
  const script = 'import json,sys\nfrom dockerfile_parse import DockerfileParser\np=DockerfileParser(path=sys.argv[1])\nprint(json.dumps({"structure":p.structure}))';
  const r = run(python, ['-c', script, DOCKERFILE]);
  expect(r.ok, r.stderr).toBe(true);
  const out: { name: string; from: string; body: z.infer<typeof instruction>[] }[] = [];
  for (const ins of parsedDockerfile.parse(JSON.parse(r.stdout)).structure) {
    if (ins.instruction === 'FROM') {
      const [from = '', , name = `#${out.length}`] = ins.value.split(/\s+/);
      out.push({ name, from, body: [] });
    } else out.at(-1)?.body.push(ins);
  }
  return out;
}

describe('docker/Dockerfile', () => {
  it('builds api, worker and worker-gpu from stages that exist, as a non-root user, on pinned bases', (ctx) => {
    const all = stages(requireTool(ctx, 'dockerfile-parse'));
    const text = readFileSync(DOCKERFILE, 'utf8');
    const names = all.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['api', 'worker', 'worker-gpu']));
    all.forEach((stage, i) => {
      const earlier = new Set(names.slice(0, i));
      for (const ins of stage.body.filter((b) => b.instruction === 'COPY')) {
        const from = /--from=(\S+)/.exec(ins.value)?.[1];
        if (from) expect(earlier.has(from), `${stage.name}: COPY --from=${from} names an earlier stage`).toBe(true);
      }
      if (!/^\$\{\w+\}$/.test(stage.from)) expect(earlier.has(stage.from), `${stage.name}: FROM ${stage.from}`).toBe(true);
    });
    // Base images come from ARG defaults, each with an explicit version tag.
    for (const m of text.matchAll(/^ARG (\w+_IMAGE)=(\S+)$/gm)) expect(m[2], m[1]).toMatch(/^[\w./-]+:(?!latest)[\w.-]*\d[\w.-]*$/);
    expect(text).toMatch(/^ARG CUDA_IMAGE=nvidia\/cuda:12[\w.-]+$/m);

    /** A target's instructions, its base stages' first. */
    const chain = (name: string): z.infer<typeof instruction>[] => {
      const stage = all.find((s) => s.name === name)!;
      return [...(names.includes(stage.from) ? chain(stage.from) : []), ...stage.body];
    };
    for (const target of ['api', 'worker', 'worker-gpu']) {
      const users = chain(target).filter((b) => b.instruction === 'USER');
      expect(users.at(-1)?.value, `${target}: USER`).toBe('braise');
      const entry = chain(target).filter((b) => b.instruction === 'ENTRYPOINT').at(-1);
      expect(entry?.value, `${target}: ENTRYPOINT`).toBe('["node", "bin/braise.js"]');
    }
    // The workflow bundle and the dashboard are built at image build time, and the api image serves that dashboard.
    const build = all.find((s) => s.name === 'build')!.body.map((b) => b.value).join('\n');
    expect(build).toMatch(/npm run build:workflows/);
    expect(build).toMatch(/npm run build:dashboard -- dist\/dashboard/);
    expect(chain('api').some((b) => b.instruction === 'ENV' && b.value.includes('BRAISE_DASHBOARD_DIR=/app/dist/dashboard'))).toBe(true);
    expect(chain('api').some((b) => b.instruction === 'ENV' && b.value.includes('BRAISE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js'))).toBe(true);
    /** Everything a target is made of: its base stages and the stages it copies from, recursively. */
    const madeOf = (name: string): z.infer<typeof instruction>[] => {
      const stage = all.find((s) => s.name === name)!;
      const sources = [stage.from, ...stage.body.flatMap((b) => (b.instruction === 'COPY' ? [/--from=(\S+)/.exec(b.value)?.[1] ?? ''] : []))];
      return [...sources.filter((s) => names.includes(s)).flatMap(madeOf), ...stage.body];
    };
    // Workers bake in the native backend and must use it: a broken one is an error, never a WASM fallback.
    expect(madeOf('worker').some((b) => b.instruction === 'RUN' && /braise\.js setup tensorflow$/.test(b.value))).toBe(true);
    expect(madeOf('worker-gpu').some((b) => b.instruction === 'RUN' && /braise\.js setup tensorflow --gpu$/.test(b.value))).toBe(true);
    expect(all.find((s) => s.name === 'cuda-node')!.from).toBe('${CUDA_IMAGE}');
    for (const target of ['worker', 'worker-gpu']) {
      expect(chain(target).some((b) => b.instruction === 'ENV' && /\bBRAISE_TF_BACKEND=tensorflow\b/.test(b.value)), target).toBe(true);
    }
    const envNames = all.flatMap((s) => s.body.filter((b) => b.instruction === 'ENV').flatMap((b) => [...b.value.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]+)=/g)].map((m) => m[1]!)));
    expect(unreadEnv(envNames.filter((n) => n !== 'NODE_ENV'))).toEqual([]);
  });

  it('creates every directory compose mounts a volume on, owned by braise (a new named volume takes its owner from it)', (ctx) => {
    const services = composeConfig(requireTool(ctx, 'docker-compose'));
    const all = stages(requireTool(ctx, 'dockerfile-parse'));
    const targets = [...new Set(Object.values(services).filter(isBraise).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[1]!)))];
    expect(targets.sort()).toEqual(['/mnt/artifacts', '/var/lib/braise/checkpoints']);
    // The stages the runtime images start from: base (api, worker) and cuda-node (worker-gpu).
    for (const name of ['base', 'cuda-node']) {
      const runs = all.find((s) => s.name === name)!.body.filter((b) => b.instruction === 'RUN').map((b) => b.value).join('\n');
      const made = /mkdir -p ([^&]+)&&/.exec(runs)?.[1]?.trim().split(/\s+/) ?? [];
      const owned = /chown -R braise:braise ([^&]+)&&/.exec(runs)?.[1]?.trim().split(/\s+/) ?? [];
      for (const t of targets) {
        expect(made, `${name}: mkdir ${t}`).toContain(t);
        expect(owned.some((o) => t === o || t.startsWith(`${o}/`)), `${name}: chown ${t}`).toBe(true);
      }
    }
  });

  it('keeps the host\'s node_modules, home, git and test output out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.braise', '.git', '.ci/results.json', 'coverage', 'dist']));
  });
});
