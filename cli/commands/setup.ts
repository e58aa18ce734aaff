/**
 * `braise setup tensorflow [--gpu]`: builds the native TensorFlow backend into the home's tools
 * (ml/native/setup.ts) and proves it with a smoke op. Training runs it on first use too; this
 * command is for doing it ahead of time (CI, an image build) and for retrying after a failure.
 */
import { loadConfig } from '../../infra/config.ts';
import { clearFailure, setupTensorflow } from '../../ml/native/setup.ts';
import { EXIT, say } from '../io.ts';

export async function setupTensorflowCommand(opts: { gpu?: boolean }): Promise<number> {
  const config = loadConfig();
  const variant = opts.gpu === true ? 'gpu' : 'cpu';
  await clearFailure(config.toolsDir, variant);
  say(`braise setup tensorflow${variant === 'gpu' ? ' --gpu' : ''}: into ${config.toolsDir}`);
  try {
    const r = await setupTensorflow({ toolsDir: config.toolsDir, variant, log: say });
    const what = { built: 'built and installed', installed: 'installed from the cached build', nothing: 'already installed' }[r.did];
    say(`native TensorFlow backend ${what}: TensorFlow ${r.tensorflowVersion} on ${r.device} (${r.dir}, ${r.seconds.toFixed(1)} s)`);
    return EXIT.ok;
  } catch (err) {
    say(`${(err as Error).message}; training falls back to WASM`);
    return EXIT.failed;
  }
}
