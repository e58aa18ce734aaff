/** Types of cli-bundle.js (plain JavaScript: it runs before TypeScript can be loaded). */
export interface CliBundleOptions {
  /** The directory the manifest names sources relative to. */
  root: string;
  /** The entry file, absolute. */
  entry: string;
  /** Where builds and manifests are kept. */
  cacheDir: string;
}

/** The entry's bundle: `main` the file URL to import; `source` whether it came from the cache or was just built. */
export function cliBundle(opts: CliBundleOptions): Promise<{ main: string; source: 'cache' | 'built' }>;
