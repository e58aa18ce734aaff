/**
 * Live progress while a run works: a bar per training stage (with a sparkline of its recent loss) and a status line
 * per other stage on a terminal; plain log lines otherwise (CI, pipes: no sparkline, no redraws).
 */
import cliProgress from 'cli-progress';
import type { RunView } from '../service/view.ts';
import { RecentSeries, sparkline } from './sparkline.ts';

export interface ProgressDisplay {
  update(view: RunView): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

class BarProgress implements ProgressDisplay {
  private readonly multibar: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly losses = new Map<string, RecentSeries>();

  constructor(stream: NodeJS.WriteStream) {
    this.multibar = new cliProgress.MultiBar(
      {
        stream,
        clearOnComplete: false,
        hideCursor: true,
        format: ' {stage} |{bar}| {value}/{total} {status} {loss} {spark}',
        barsize: 30,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(view: RunView): void {
    for (const s of view.stages) {
      const training = s.progress && s.progress.totalSteps > 0;
      const total = training ? s.progress!.totalSteps : 1;
      const value = training ? s.progress!.step : s.status === 'completed' || s.status === 'cached' ? 1 : 0;
      const loss = s.progress?.loss ?? null;
      let series = this.losses.get(s.id);
      if (loss !== null && s.progress) {
        if (!series) this.losses.set(s.id, (series = new RecentSeries()));
        series.add(s.progress.step, loss);
      }
      const payload = {
        stage: `${s.id} (${s.kind})`.padEnd(22),
        status: s.status,
        loss: loss !== null ? `loss ${loss.toFixed(3)}` : '',
        spark: series ? sparkline(series.values()) : '',
      };
      let bar = this.bars.get(s.id);
      if (!bar) {
        bar = this.multibar.create(total, value, payload);
        this.bars.set(s.id, bar);
      }
      bar.setTotal(total);
      bar.update(s.status === 'completed' || s.status === 'cached' ? total : value, payload);
    }
  }

  stop(): void {
    this.multibar.stop();
  }
}

class LineProgress implements ProgressDisplay {
  private readonly last = new Map<string, string>();
  private lastStepLog = new Map<string, number>();
  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(view: RunView): void {
    for (const s of view.stages) {
      if (this.last.get(s.id) !== s.status) {
        this.last.set(s.id, s.status);
        this.stream.write(`[braise] ${s.id} (${s.kind}): ${s.status}\n`);
      }
      const p = s.progress;
      if (s.status === 'running' && p && p.totalSteps > 0) {
        const every = Math.max(1, Math.round(p.totalSteps / 10));
        const bucket = Math.floor(p.step / every);
        if (bucket !== this.lastStepLog.get(s.id)) {
          this.lastStepLog.set(s.id, bucket);
          this.stream.write(`[braise] ${s.id}: step ${p.step}/${p.totalSteps}${p.loss !== null ? ` loss ${p.loss.toFixed(3)}` : ''}\n`);
        }
      }
    }
  }

  stop(): void {}
}
