/**
 * Transitive lineage walks over edges: upstream (what an artifact was derived
 * from) and downstream (what was derived from it), each one recursive CTE.
 */
import { inArray, sql, type SQL } from 'drizzle-orm';
import type { BraiseDb } from './client.ts';
import { artifacts, type ArtifactRow } from './schema.ts';

/** Steps of this kind turn a dataset source into a dataset artifact: upstream walks stop at their outputs. */
export const SOURCE_STEP_KIND = 'ingest';

/** Guards against a cycle of content-identical artifacts walking forever. */
const MAX_DEPTH = 1000;

/** The step that computed an artifact. */
export interface Producer {
  runId: string;
  stageId: string;
  kind: string;
}

/** One artifact reached by a lineage walk, `depth` steps away from the start (1 = direct). */
export interface LineageNode {
  artifact: ArtifactRow;
  /** The step that computed it (its earliest `completed` producer, else a `cached` one); null if none is recorded. */
  producedBy: Producer | null;
  depth: number;
}

/**
 * Every artifact that `artifactId` was derived from, transitively, stopping at
 * source datasets (outputs of an `ingest` step). Each appears once, at its
 * shortest depth; the start artifact itself is not included.
 */
export async function upstream(db: BraiseDb, artifactId: string): Promise<LineageNode[]> {
  // From an artifact, go to a step that produced it, then to what that step consumed.
  const walk = sql`
    WITH RECURSIVE walk(artifact_id, depth) AS (
      SELECT c.artifact_id, 1
      FROM edges p
      JOIN steps s ON s.id = p.step_id
      JOIN edges c ON c.step_id = p.step_id AND c.direction = 'consumed'
      WHERE p.artifact_id = ${artifactId} AND p.direction = 'produced'
        AND s.status IN ('completed', 'cached') AND s.kind <> ${SOURCE_STEP_KIND}
        AND c.artifact_id <> p.artifact_id
      UNION
      SELECT c.artifact_id, w.depth + 1
      FROM walk w
      JOIN edges p ON p.artifact_id = w.artifact_id AND p.direction = 'produced'
      JOIN steps s ON s.id = p.step_id
      JOIN edges c ON c.step_id = p.step_id AND c.direction = 'consumed'
      WHERE s.status IN ('completed', 'cached') AND s.kind <> ${SOURCE_STEP_KIND}
        AND c.artifact_id <> p.artifact_id AND w.depth < ${MAX_DEPTH}
    )`;
  return resolve(db, walk, artifactId);
}

/**
 * Every artifact derived from `artifactId`, transitively: outputs of steps that
 * consumed it, outputs of steps that consumed those, and so on. Each appears
 * once, at its shortest depth; the start artifact itself is not included.
 */
export async function downstream(db: BraiseDb, artifactId: string): Promise<LineageNode[]> {
  const walk = sql`
    WITH RECURSIVE walk(artifact_id, depth) AS (
      SELECT p.artifact_id, 1
      FROM edges c
      JOIN steps s ON s.id = c.step_id
      JOIN edges p ON p.step_id = c.step_id AND p.direction = 'produced'
      WHERE c.artifact_id = ${artifactId} AND c.direction = 'consumed'
        AND s.status IN ('completed', 'cached') AND p.artifact_id <> c.artifact_id
      UNION
      SELECT p.artifact_id, w.depth + 1
      FROM walk w
      JOIN edges c ON c.artifact_id = w.artifact_id AND c.direction = 'consumed'
      JOIN steps s ON s.id = c.step_id
      JOIN edges p ON p.step_id = c.step_id AND p.direction = 'produced'
      WHERE s.status IN ('completed', 'cached') AND p.artifact_id <> c.artifact_id
        AND w.depth < ${MAX_DEPTH}
    )`;
  return resolve(db, walk, artifactId);
}

/** Collapses a walk to one row per artifact at its shortest depth, with its producer and artifact row. */
async function resolve(db: BraiseDb, walk: SQL, start: string): Promise<LineageNode[]> {
  // UNION dedups (artifact, depth) pairs each round, so duplicate producers (cached steps) never multiply rows.
  const rows = await queryRows(
    db,
    sql`${walk}
    SELECT f.artifact_id, f.depth, pr.run_id, pr.stage_id, pr.kind
    FROM (SELECT artifact_id, min(depth)::int AS depth FROM walk GROUP BY artifact_id) f
    LEFT JOIN LATERAL (
      SELECT s.run_id, s.stage_id, s.kind
      FROM edges e JOIN steps s ON s.id = e.step_id
      WHERE e.artifact_id = f.artifact_id AND e.direction = 'produced' AND s.status IN ('completed', 'cached')
      ORDER BY (s.status = 'completed') DESC, s.finished_at ASC NULLS LAST, s.id
      LIMIT 1
    ) pr ON true
    WHERE f.artifact_id <> ${start}
    ORDER BY f.depth, f.artifact_id`,
  );
  if (rows.length === 0) return [];
  const found = rows.map((r) => ({
    artifactId: str(r, 'artifact_id'),
    depth: Number(r['depth']),
    producer: r['run_id'] == null ? null : { runId: str(r, 'run_id'), stageId: str(r, 'stage_id'), kind: str(r, 'kind') },
  }));
  const artifactRows = await db
    .select()
    .from(artifacts)
    .where(
      inArray(
        artifacts.id,
        found.map((f) => f.artifactId),
      ),
    );
  const byId = new Map(artifactRows.map((a) => [a.id, a]));
  return found.flatMap((f) => {
    const artifact = byId.get(f.artifactId);
    // Edges reference artifacts by foreign key, so a miss means the row vanished mid-query; skip it.
    return artifact ? [{ artifact, producedBy: f.producer, depth: f.depth }] : [];
  });
}

/** The rows of a raw query; both drivers return `{ rows }`, typed only as unknown by the shared PgDatabase. */
async function queryRows(db: BraiseDb, query: SQL): Promise<Array<Record<string, unknown>>> {
  const result: unknown = await db.execute(query);
  if (typeof result === 'object' && result !== null && 'rows' in result && Array.isArray(result.rows)) {
    return result.rows.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null);
  }
  throw new Error('lineage: the database driver returned a result without rows');
}

function str(row: Record<string, unknown>, key: string): string {
  const v = row[key];
  if (typeof v !== 'string') throw new Error(`lineage: column ${key} is ${typeof v}, expected text`);
  return v;
}
