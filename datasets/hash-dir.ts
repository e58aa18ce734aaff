import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** A regular file of a directory tree, by its `/`-separated path relative to the tree's root. */
export interface TreeFile {
  rel: string;
  abs: string;
  size: number;
}

/**
 * Lists the regular files under `dir`, sorted by relative path. Symlinks and other special files are
 * rejected: an artifact must be self-contained bytes. Empty directories carry no content and are ignored.
 */
export async function listTree(dir: string): Promise<TreeFile[]> {
  const out: TreeFile[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    for (const entry of await readdir(abs, { withFileTypes: true })) {
      const childAbs = path.join(abs, entry.name);
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(childAbs, childRel);
      else if (entry.isFile()) out.push({ rel: childRel, abs: childAbs, size: (await lstat(childAbs)).size });
      else throw new Error(`${childAbs}: artifacts may hold only regular files and directories`);
    }
  }
  await walk(dir, '');
  // Plain code-unit order, not localeCompare: the order must not depend on the machine's locale.
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * sha256 over the sorted files of `dir`: for each, its relative path, its size and its bytes (streamed, so
 * large model weights never sit in memory). `domain` (the artifact kind) prefixes the stream so identical
 * bytes committed as two different kinds get two ids, each with its own ref.
 */
export async function hashDir(dir: string, domain: string): Promise<{ id: string; bytes: number; files: TreeFile[] }> {
  const files = await listTree(dir);
  const hash = createHash('sha256');
  hash.update(`braise.artifact/v1\0${domain}\0`);
  let bytes = 0;
  for (const file of files) {
    // The size delimits the content, so (path, bytes) pairs cannot run into each other.
    hash.update(`${file.rel}\0${file.size}\0`);
    let read = 0;
    for await (const chunk of createReadStream(file.abs)) {
      const buf = chunk as Buffer;
      read += buf.length;
      hash.update(buf);
    }
    if (read !== file.size) throw new Error(`${file.abs} changed while it was being hashed`);
    bytes += file.size;
  }
  return { id: hash.digest('hex'), bytes, files };
}
