/**
 * The workflow bundle, cached on disk. Webpack takes seconds on every process
 * start (`braise run`, each worker); the code it produces depends only on the
 * files it bundled, the packages they came from and the bundler, so it is
 * kept under BRAISE_HOME and reused while all of those are unchanged.
 *
 * What was bundled is read back from the bundle's own inline source map
 * (`sources` + `sourcesContent`), so the check covers exactly the modules
 * webpack included: a changed workflow file (or any file it imports) misses,
 * a file next to it that no workflow imports does not. Files inside a package
 * under node_modules are checked by the package's name and version.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { z } from 'zod';

/** Bump when the manifest format or the way sources are checked changes. */
const FORMAT = 'braise-workflow-bundle-v1';

export interface CachedBundleOptions {
  /** bundleWorkflowCode's options; all but the logger are part of the key. */
  bundle: BundleOptions;
  /** Where bundles are kept; null bundles without a cache. */
  cacheDir: string | null;
  warn?(message: string): void;
}

export interface CachedBundle {
  code: string;
  /** `cache`: read from disk; `bundled`: webpack ran (and the result was stored when a cache dir is set). */
  source: 'cache' | 'bundled';
  /** The bundle file on disk, when there is one. */
  path: string | null;
}

const sourceEntry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('file'), path: z.string(), sha256: z.string() }),
  z.object({ type: z.literal('package'), dir: z.string(), name: z.string(), version: z.string() }),
]);
type SourceEntry = z.infer<typeof sourceEntry>;

const manifestSchema = z.object({
  format: z.literal(FORMAT),
  key: z.string(),
  bundle: z.string(),
  bundleSha256: z.string(),
  sources: z.array(sourceEntry),
});
type Manifest = z.infer<typeof manifestSchema>;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The worker package's version: the bundler (webpack config, entrypoint) is part of it. */
function sdkVersion(): string {
  return readPackage(dirname(createRequire(import.meta.url).resolve('@temporalio/worker/package.json'))).version;
}

/**
 * The cache key: which workflows, which bundler and bundler options (functions such as a webpack hook by their
 * source text). What the workflows pulled in is checked from the manifest.
 */
export function bundleKey(options: BundleOptions): string {
  const described = JSON.stringify({ ...options, logger: undefined }, (_k, v: unknown) => (typeof v === 'function' ? `fn:${v.toString()}` : v));
  return sha256(`${FORMAT}\0${sdkVersion()}\0${described}`).slice(0, 24);
}

/** bundleWorkflowCode(options), or the bundle it made before for unchanged sources. */
export async function cachedWorkflowBundle(opts: CachedBundleOptions): Promise<CachedBundle> {
  if (!opts.cacheDir) return { code: (await bundleWorkflowCode(opts.bundle)).code, source: 'bundled', path: null };
  const key = bundleKey(opts.bundle);
  const manifestPath = join(opts.cacheDir, `${key}.json`);
  const hit = await readValid(opts.cacheDir, manifestPath);
  if (hit) return { ...hit, source: 'cache' };

  const { code } = await bundleWorkflowCode(opts.bundle);
  try {
    const path = await store(opts.cacheDir, key, manifestPath, code);
    return { code, source: 'bundled', path };
  } catch (err) {
    // A read-only or full disk costs the next start a bundle, nothing more.
    opts.warn?.(`could not cache the workflow bundle in ${opts.cacheDir}: ${(err as Error).message}`);
    return { code, source: 'bundled', path: null };
  }
}

/** The cached bundle if its manifest parses, every source it lists is unchanged and the bundle file is intact. */
async function readValid(cacheDir: string, manifestPath: string): Promise<{ code: string; path: string } | null> {
  let manifest: Manifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(await readFile(manifestPath, 'utf8')));
  } catch {
    return null; // missing, unreadable or from another format: bundle again
  }
  for (const entry of manifest.sources) if (!(await unchanged(entry))) return null;
  const path = join(cacheDir, basename(manifest.bundle));
  let code: string;
  try {
    code = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  return sha256(code) === manifest.bundleSha256 ? { code, path } : null;
}

async function unchanged(entry: SourceEntry): Promise<boolean> {
  try {
    if (entry.type === 'file') return sha256(await readFile(entry.path)) === entry.sha256;
    return readPackage(entry.dir).version === entry.version;
  } catch {
    return false;
  }
}

async function store(cacheDir: string, key: string, manifestPath: string, code: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  const bundleSha256 = sha256(code);
  const bundle = `${key}-${bundleSha256.slice(0, 16)}.js`;
  const manifest: Manifest = { format: FORMAT, key, bundle, bundleSha256, sources: sourcesOf(code) };
  // Bundle first, then the manifest that names it; each by rename, so a reader never sees half a file.
  await atomicWrite(join(cacheDir, bundle), code);
  await atomicWrite(manifestPath, JSON.stringify(manifest));
  // Older bundles for this key are dead weight (a reader that still wanted one misses and bundles again).
  for (const f of await readdir(cacheDir)) {
    if (f.startsWith(`${key}-`) && f.endsWith('.js') && f !== bundle) await rm(join(cacheDir, f), { force: true });
  }
  return join(cacheDir, bundle);
}

async function atomicWrite(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 }); // private like everything in the home
  await rename(tmp, path);
}

const sourceMapSchema = z.object({ sources: z.array(z.string()), sourcesContent: z.array(z.string().nullable()).optional() });

/** What webpack put in the bundle, from its inline source map: files by content, package files by package version. */
export function sourcesOf(code: string): SourceEntry[] {
  const m = /\/\/# sourceMappingURL=data:application\/json;[^,]*base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  if (!m) throw new Error('the workflow bundle has no inline source map: cannot tell what it contains');
  const map = sourceMapSchema.parse(JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')));
  const entries = new Map<string, SourceEntry>();
  map.sources.forEach((source, i) => {
    // Webpack's runtime and the SDK's generated entrypoint are not files; they follow from the key.
    if (!isAbsolute(source) || !existsSync(source)) return;
    const pkg = packageDirOf(source);
    if (pkg) {
      entries.set(`package:${pkg}`, { type: 'package', dir: pkg, ...readPackage(pkg) });
      return;
    }
    const content = map.sourcesContent?.[i];
    // The text webpack read, not the file now: an edit made while bundling must not be cached as bundled.
    entries.set(`file:${source}`, { type: 'file', path: source, sha256: sha256(content ?? readFileSync(source)) });
  });
  return [...entries.values()];
}

/** The root of the installed package a file belongs to (`…/node_modules/<name>` or `…/node_modules/@scope/<name>`), if any. */
function packageDirOf(file: string): string | null {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const parent = basename(dirname(dir));
    const inNodeModules = parent === 'node_modules' || (parent.startsWith('@') && basename(dirname(dirname(dir))) === 'node_modules');
    if (inNodeModules && existsSync(join(dir, 'package.json'))) return dir;
  }
  return null;
}

const packageJson = z.object({ name: z.string(), version: z.string() });

function readPackage(dir: string): z.infer<typeof packageJson> {
  const { name, version } = packageJson.parse(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')));
  return { name, version };
}
