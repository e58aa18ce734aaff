/**
 * A line chart drawn by uPlot (bundled; canvas, fast on thousands of points). The element says how many
 * points it handed to uPlot (`data-points`, per series `data-series-points`), and the instance is kept in
 * `window.braiseCharts` under the element's `data-chart` name, so a test can compare both with the API.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { align, type Line } from './chart-data.ts';
import 'uplot/dist/uPlot.min.css';

export type { Line } from './chart-data.ts';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#65a30d', '#4f46e5', '#a16207'];

declare global {
  interface Window {
    /** Every chart on the page by its `data-chart` name (read by the browser test). */
    braiseCharts?: Map<string, uPlot>;
  }
}

/** A titled uPlot line chart of `lines`; new points of the same lines update it in place. */
export function Chart({ name, title, lines, xLabel = 'step', height = 240 }: { name: string; title: string; lines: readonly Line[]; xLabel?: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = lines.map((l) => l.label).join('\u0000');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(320, el.clientWidth),
      height,
      scales: { x: { time: false } },
      axes: [{ label: xLabel }, {}],
      series: [{ label: xLabel }, ...lines.map((l, i) => ({ label: l.label, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true, points: { show: l.points.length < 60 } }))],
      legend: { live: true },
    };
    const u = new uPlot(opts, align(lines), el);
    plot.current = u;
    (window.braiseCharts ??= new Map()).set(name, u);
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(320, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      window.braiseCharts?.delete(name);
      u.destroy();
      plot.current = null;
    };
    // A new set of lines needs new series; new points of the same lines only setData (below).
  }, [shape, name, height, xLabel]);

  useEffect(() => {
    plot.current?.setData(align(lines));
  }, [lines]);

  const counts = lines.map((l) => l.points.length);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} data-chart={name} data-points={counts.reduce((a, b) => a + b, 0)} data-series-points={counts.join(',')} />
    </figure>
  );
}
