/**
 * The web dashboard's static files (dashboard/: TypeScript + preact + uPlot), bundled by esbuild into
 * `index.html`, `assets/app.js` and `assets/app.css`. Nothing is fetched at run time: every byte the
 * browser loads is built here from the checkout's sources and node_modules.
 *
 * `braise up` / `braise api` call {@link ensureDashboard} on start: a build is kept under
 * `<home>/cache/dashboard/<hash>/` and reused while every file it was built from (esbuild's metafile
 * names them, packages included) hashes the same, so a start costs a few small reads and a fresh clone
 * needs no build step. `npm run build:dashboard` writes the same files to a folder of its own (what an
 * image serves with `BRAISE_DASHBOARD_DIR`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository root (sources are named relative to it in the manifest). */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = join(ROOT, 'dashboard');
/** Bump when the build options or the manifest change. */
const FORMAT = 'braise-dashboard-v1';

const ManifestSchema = z.object({
  format: z.literal(FORMAT),
  build: z.string().regex(/^[0-9a-f]{16}$/),
  inputs: z.array(z.object({ path: z.string(), sha256: z.string() })),
});

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Bundles the dashboard into `outDir` (created; files in it replaced); returns the files it was built from. */
export async function buildDashboard(outDir: string): Promise<string[]> {
  const esbuild = await import('esbuild');
  await mkdir(join(outDir, 'assets'), { recursive: true });
  const result = await esbuild.build({
    entryPoints: { app: join(SOURCE, 'main.tsx') },
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(SOURCE, 'tsconfig.json'),
    outdir: join(outDir, 'assets'),
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(ROOT, p));
  const html = join(SOURCE, 'index.html');
  await copyFile(html, join(outDir, 'index.html'));
  return [...inputs, html];
}

/**
 * The directory of a build of the current sources under `cacheDir`: the cached one when every input
 * hashes as it did, else a fresh build (moved into place whole, so a concurrent start never serves half).
 */
export async function ensureDashboard(cacheDir: string): Promise<{ dir: string; source: 'cache' | 'built' }> {
  const base = join(cacheDir, 'dashboard');
  const manifestPath = join(base, 'manifest.json');
  const cached = await validBuild(manifestPath);
  if (cached) return { dir: join(base, cached), source: 'cache' };
  const tmp = join(base, `tmp-${randomBytes(6).toString('hex')}`);
  try {
    const files = await buildDashboard(tmp);
    const inputs = await Promise.all(files.map(async (f) => ({ path: relative(ROOT, f), sha256: sha256(await readFile(f)) })));
    inputs.sort((a, b) => a.path.localeCompare(b.path));
    const build = sha256(JSON.stringify(inputs)).slice(0, 16);
    const dir = join(base, build);
    // Another process may have built the same sources meanwhile: its build is as good as this one.
    if (await exists(join(dir, 'index.html'))) await rm(tmp, { recursive: true, force: true });
    else
      await rename(tmp, dir).catch(async (err: unknown) => {
        if (!(await exists(join(dir, 'index.html')))) throw err;
        await rm(tmp, { recursive: true, force: true });
      });
    await writeFile(manifestPath, JSON.stringify({ format: FORMAT, build, inputs }));
    return { dir, source: 'built' };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function validBuild(manifestPath: string): Promise<string | null> {
  let manifest: z.infer<typeof ManifestSchema>;
  try {
    const parsed = ManifestSchema.safeParse(JSON.parse(await readFile(manifestPath, 'utf8')));
    if (!parsed.success) return null;
    manifest = parsed.data;
  } catch {
    return null;
  }
  for (const input of manifest.inputs) {
    const data = await readFile(resolve(ROOT, input.path)).catch(() => null);
    if (data === null || sha256(data) !== input.sha256) return null;
  }
  return (await exists(join(manifestPath, '..', manifest.build, 'index.html'))) ? manifest.build : null;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
