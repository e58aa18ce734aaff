/**
 * The CLI as one esbuild bundle, cached by content hash. Braise ships
 * TypeScript sources; loading the ~140 files a command needs through tsx's
 * loader costs about a second on every `braise` start, while the same code as
 * plain JavaScript loads in a fraction of that. The bundle is built the first
 * time (half a second) and reused while every source file it was built from
 * is unchanged, byte for byte, and rebuilt on any difference. A start checks
 * each file's size and modification time against the manifest and hashes only
 * the files whose stat differs (or whose mtime was within RACY_MS of the build,
 * where a quick edit could share its timestamp, as git does): hashing all of
 * them cost 10–20 ms of every start.
 *
 * Packages stay external (node resolves them from the checkout's node_modules,
 * which is why the cache lives under node_modules/.cache); dynamic `import()`s
 * stay lazy (separate chunks). `import.meta.url` keeps naming each file's own
 * source, so paths built from it (migrations, the workflow sources webpack
 * bundles, the trainer child's entry) are the same as under tsx.
 *
 * Plain JavaScript: it runs before anything can load TypeScript.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump when the build options or the manifest change. */
const FORMAT = 'braise-cli-bundle-v2';
/** Builds kept besides the current one: a long-running process may still load lazy chunks of an older build. */
const KEEP_BUILDS = 8;
/** A file modified this close to (or after) the build's start is hashed even when its stat matches. */
const RACY_MS = 2000;

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/**
 * The entry's bundle: `{ main, source }`, `main` the file URL to import, `source` 'cache' or 'built'.
 * @param {{ root: string, entry: string, cacheDir: string }} opts  root: the directory sources are named relative to;
 *   entry: the entry file (absolute); cacheDir: where builds and the manifest live.
 * @returns {Promise<{ main: string, source: 'cache' | 'built' }>}
 */
export async function cliBundle({ root, entry, cacheDir }) {
  const manifestPath = join(cacheDir, `${sha256(entry).slice(0, 16)}.json`);
  const cached = await validBuild(manifestPath, root, entry);
  if (cached) return { main: pathToFileURL(join(cacheDir, cached, 'main.js')).href, source: 'cache' };
  const key = await build({ root, entry, cacheDir, manifestPath });
  return { main: pathToFileURL(join(cacheDir, key, 'main.js')).href, source: 'built' };
}

/** The build directory the manifest names, if it was built from `entry` and every input is unchanged; else null. */
async function validBuild(manifestPath, root, entry) {
  let manifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch {
    return null;
  }
  if (!isManifest(manifest) || manifest.format !== FORMAT || manifest.entry !== entry || manifest.esbuild !== esbuildVersion()) return null;
  const same = await Promise.all(
    manifest.inputs.map(async ({ path, sha256: want, size, mtimeMs }) => {
      try {
        const abs = resolve(root, path);
        const s = await stat(abs);
        if (s.size === size && s.mtimeMs === mtimeMs && mtimeMs < manifest.builtAt - RACY_MS) return true;
        return sha256(await readFile(abs)) === want;
      } catch {
        return false;
      }
    }),
  );
  if (!same.every(Boolean)) return null;
  try {
    await stat(join(manifestPath, '..', manifest.build, 'main.js'));
  } catch {
    return null;
  }
  return manifest.build;
}

function isManifest(m) {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.format === 'string' &&
    typeof m.entry === 'string' &&
    typeof m.esbuild === 'string' &&
    typeof m.build === 'string' &&
    /^[0-9a-f]{16,64}$/.test(m.build) &&
    typeof m.builtAt === 'number' &&
    Array.isArray(m.inputs) &&
    m.inputs.every(
      (i) =>
        typeof i === 'object' &&
        i !== null &&
        typeof i.path === 'string' &&
        typeof i.sha256 === 'string' &&
        typeof i.size === 'number' &&
        typeof i.mtimeMs === 'number',
    )
  );
}

let version;
/** The installed esbuild's version, read without loading it (a start that hits the cache never does). */
function esbuildVersion() {
  if (version === undefined) {
    try {
      const pkgUrl = import.meta.resolve('esbuild/package.json');
      version = JSON.parse(readFileSync(fileURLToPath(pkgUrl), 'utf8')).version;
    } catch {
      version = 'none';
    }
  }
  return version;
}

/** Builds into a fresh directory, moves it to its key's name, records the manifest; returns the key. */
async function build({ root, entry, cacheDir, manifestPath }) {
  const esbuild = await import('esbuild');
  await mkdir(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `tmp-${randomBytes(6).toString('hex')}`);
  const builtAt = Date.now();
  /** Per source read: its hash and its stat, taken before the read (a later edit changes the stat). */
  const contents = new Map();
  try {
    const result = await esbuild.build({
      entryPoints: { main: entry },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      packages: 'external',
      // Error class and function names stay as written (Temporal reports an error's type by its name).
      keepNames: true,
      outdir: tmp,
      absWorkingDir: root,
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          name: 'braise-source-urls',
          setup(b) {
            b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
              if (args.path.includes('/node_modules/')) return undefined;
              const before = await stat(args.path);
              const text = await readFile(args.path);
              contents.set(args.path, { sha256: sha256(text), size: before.size, mtimeMs: before.mtimeMs });
              return {
                contents: text.toString('utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
                loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js',
              };
            });
          },
        },
      ],
    });
    const inputs = [];
    for (const input of Object.keys(result.metafile.inputs)) {
      const abs = isAbsolute(input) ? input : resolve(root, input);
      let seen = contents.get(abs);
      if (!seen) {
        const before = await stat(abs);
        seen = { sha256: sha256(await readFile(abs)), size: before.size, mtimeMs: before.mtimeMs };
      }
      inputs.push({ path: relative(root, abs), ...seen });
    }
    inputs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const key = sha256(JSON.stringify([FORMAT, esbuildVersion(), entry, inputs.map((i) => [i.path, i.sha256])])).slice(0, 32);
    const dir = join(cacheDir, key);
    await rename(tmp, dir).catch(async (err) => {
      // Another process built the same sources first: theirs is identical.
      await rm(tmp, { recursive: true, force: true });
      if (!['ENOTEMPTY', 'EEXIST'].includes(err?.code)) throw err;
    });
    const manifest = { format: FORMAT, entry, esbuild: esbuildVersion(), build: key, builtAt, inputs };
    const manifestTmp = `${manifestPath}.${randomBytes(6).toString('hex')}`;
    await writeFile(manifestTmp, `${JSON.stringify(manifest, null, 1)}\n`);
    await rename(manifestTmp, manifestPath);
    await prune(cacheDir, key);
    return key;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Removes all but the newest KEEP_BUILDS builds (and never `current`). */
async function prune(cacheDir, current) {
  const entries = await readdir(cacheDir, { withFileTypes: true }).catch(() => []);
  const builds = [];
  for (const e of entries) {
    if (!e.isDirectory() || !/^[0-9a-f]{32}$/.test(e.name) || e.name === current) continue;
    const s = await stat(join(cacheDir, e.name)).catch(() => null);
    if (s) builds.push({ name: e.name, mtime: s.mtimeMs });
  }
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_BUILDS)) await rm(join(cacheDir, old.name), { recursive: true, force: true }).catch(() => undefined);
}
