/**
 * The tables `braise run` and `braise status` print for the ablation stages, read from their metrics (the
 * CLI may be a client of the HTTP API, with no artifact store to read reports from): mixsearch's proxies
 * (mixture, loss on the target, predicted loss) and its chosen mixture; mergeablation's units and candidates
 * (proxy and, for the unions trained for real, real bits per byte). Names as the activities write them
 * (activities/mixsearch/, activities/mergeablation/).
 */
import { table } from './table.ts';

const f4 = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(4));
const rho = (m: Readonly<Record<string, number>>): string => (m.spearman === undefined ? 'undefined (constant ranks)' : m.spearman.toFixed(3));

/** mixsearch: a row per proxy, then the mixture it chose. */
export function renderMixsearch(id: string, m: Readonly<Record<string, number>>): string[] {
  const proxies = [...new Set(Object.keys(m).flatMap((k) => /^proxy\/(\d+)\/loss$/.exec(k)?.[1] ?? []))].map(Number).sort((a, b) => a - b);
  if (proxies.length === 0) return [];
  const domains = Object.keys(m)
    .filter((k) => k.startsWith('weight/'))
    .map((k) => k.slice('weight/'.length))
    .sort();
  const rows = proxies.map((k) => [String(k), ...domains.map((d) => m[`proxy/${k}/weight/${d}`]!.toFixed(3)), f4(m[`proxy/${k}/loss`]), f4(m[`proxy/${k}/predicted`]), m[`proxy/${k}/held_out`] === 1 ? 'held out' : 'fit']);
  return [
    '',
    `${id}: proxies (bits per byte on the target; predicted by the fit without the held-out proxies; Spearman ρ on those: ${rho(m)})`,
    table([['PROXY', ...domains.map((d) => d.toUpperCase()), 'LOSS', 'PREDICTED', ''], ...rows]),
    '',
    `${id}: predicted best mixture (predicted loss ${f4(m.predicted_loss)}; best proxy ${f4(m.best_proxy_loss)})`,
    table([['DOMAIN', 'WEIGHT'], ...domains.map((d) => [d, m[`weight/${d}`]!.toFixed(4)])]),
  ];
}

/** mergeablation: a row per unit, then per candidate its proxy and, when trained for real, its real score. */
export function renderMergeablation(id: string, m: Readonly<Record<string, number>>): string[] {
  const units = Object.keys(m).flatMap((k) => /^unit\/(.+)\/bits_per_byte$/.exec(k)?.[1] ?? []);
  const candidates = Object.keys(m).flatMap((k) => /^candidate\/(.+)\/proxy_bits_per_byte$/.exec(k)?.[1] ?? []);
  if (candidates.length === 0) return [];
  return [
    '',
    `${id}: one model per unit, continued from the shared base (bits per byte on the target)`,
    table([['UNIT', 'BITS/BYTE'], ...units.map((u) => [u, f4(m[`unit/${u}/bits_per_byte`])])]),
    '',
    `${id}: candidates (proxy: the uniform merge of its units' models; real: trained on their union; Spearman ρ: ${rho(m)})`,
    table([['UNITS', 'PROXY', 'REAL'], ...candidates.map((c) => [c.split('+').join(' + '), f4(m[`candidate/${c}/proxy_bits_per_byte`]), f4(m[`candidate/${c}/real_bits_per_byte`])])]),
  ];
}
