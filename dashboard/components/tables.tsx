/** Evaluation tables (evaluate.ts) and a key/value table. */
import type { Table } from '../evaluate.ts';
import { num, value } from '../format.ts';

/** One evaluation table (evaluate.ts): row labels, then each cell's value ± stderr. */
export function EvalTable({ table }: { table: Table }) {
  return (
    <table class="data">
      <caption>{table.title}</caption>
      <thead>
        <tr>{table.header.map((h) => <th key={h}>{h}</th>)}</tr>
      </thead>
      <tbody>
        {table.rows.map((r) => (
          <tr key={r.label}>
            <th scope="row">{r.label}</th>
            {r.cells.map((c, i) => (
              <td key={i} class="num">
                {num(c.value)}
                {c.stderr !== null && <span class="stderr"> ± {num(c.stderr)}</span>}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A table's header row of plain column names. */
export function Head({ cols }: { cols: readonly string[] }) {
  return (
    <thead>
      <tr>{cols.map((c, i) => <th key={i}>{c}</th>)}</tr>
    </thead>
  );
}

/** Rows of `key: value`, objects as JSON. */
export function KeyValues({ entries }: { entries: ReadonlyArray<readonly [string, unknown]> }) {
  return (
    <table class="data kv">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{typeof v === 'object' && v !== null ? <code>{JSON.stringify(v)}</code> : value(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
