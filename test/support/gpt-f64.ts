/**
 * A float64, plain-JavaScript copy of ml/gpt.ts's forward pass and mean cross-entropy, written from the
 * architecture (not from the tfjs code) so it can judge every backend's gradients: central differences
 * of this loss in float64 are exact to ~1e-9, far below float32 gradient error.
 */
import { paramSpecs, type ModelConfig } from '../../ml/gpt.ts';

export type Weights64 = Map<string, Float64Array>;

/** a [n, k] · b [k, m] (row-major). */
function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      if (av === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += av * b[p * m + j]!;
    }
  }
  return out;
}

function addBias(x: Float64Array, b: Float64Array): Float64Array {
  const m = b.length;
  for (let i = 0; i < x.length; i++) x[i]! += b[i % m]!;
  return x;
}

function layerNorm(x: Float64Array, g: Float64Array, b: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[i * d + j]!;
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[i * d + j]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / d + 1e-5);
    for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j]! - mean) * rstd * g[j]! + b[j]!;
  }
  return out;
}

/** erf to ~1e-14: its Taylor series below 3, the continued fraction of erfc above. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = ax;
  for (let k = 80; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Mean next-token cross-entropy (nats) of tokens `x` → targets `y` (both [B][T]). */
export function lossF64(config: ModelConfig, w: Weights64, x: number[][], y: number[][]): number {
  const p = (name: string): Float64Array => {
    const t = w.get(name);
    if (t === undefined) throw new Error(`no parameter ${name}`);
    return t;
  };
  const d = config.dModel;
  const H = config.heads;
  const dh = d / H;
  const V = 257;
  const B = x.length;
  const T = x[0]!.length;
  const N = B * T;
  let h = new Float64Array(N * d);
  const wte = p('wte');
  const wpe = p('wpe');
  for (let bi = 0; bi < B; bi++) {
    for (let t = 0; t < T; t++) {
      const tok = x[bi]![t]!;
      for (let j = 0; j < d; j++) h[(bi * T + t) * d + j] = wte[tok * d + j]! + wpe[t * d + j]!;
    }
  }
  for (let l = 0; l < config.layers; l++) {
    const pre = `h${l}`;
    const a = layerNorm(h, p(`${pre}.ln1.g`), p(`${pre}.ln1.b`), N, d);
    const qkv = addBias(matmul(a, p(`${pre}.attn.wqkv`), N, d, 3 * d), p(`${pre}.attn.bqkv`));
    const merged = new Float64Array(N * d);
    for (let bi = 0; bi < B; bi++) {
      for (let hd = 0; hd < H; hd++) {
        const q = (t: number, e: number): number => qkv[(bi * T + t) * 3 * d + hd * dh + e]!;
        const k = (t: number, e: number): number => qkv[(bi * T + t) * 3 * d + d + hd * dh + e]!;
        const v = (t: number, e: number): number => qkv[(bi * T + t) * 3 * d + 2 * d + hd * dh + e]!;
        for (let i = 0; i < T; i++) {
          // Causal: position i attends to 0..i (the model's mask adds -1e9 above the diagonal).
          const s: number[] = [];
          for (let j = 0; j <= i; j++) {
            let dot = 0;
            for (let e = 0; e < dh; e++) dot += q(i, e) * k(j, e);
            s.push(dot / Math.sqrt(dh));
          }
          const mx = Math.max(...s);
          const ex = s.map((z) => Math.exp(z - mx));
          const tot = ex.reduce((u, z) => u + z, 0);
          for (let e = 0; e < dh; e++) {
            let acc = 0;
            for (let j = 0; j <= i; j++) acc += (ex[j]! / tot) * v(j, e);
            merged[(bi * T + i) * d + hd * dh + e] = acc;
          }
        }
      }
    }
    const attn = addBias(matmul(merged, p(`${pre}.attn.wo`), N, d, d), p(`${pre}.attn.bo`));
    h = h.map((z, i) => z + attn[i]!);
    const m = layerNorm(h, p(`${pre}.ln2.g`), p(`${pre}.ln2.b`), N, d);
    const hid = addBias(matmul(m, p(`${pre}.mlp.w1`), N, d, 4 * d), p(`${pre}.mlp.b1`)).map((z) => z * 0.5 * (1 + erf(z / Math.SQRT2)));
    const mlp = addBias(matmul(hid, p(`${pre}.mlp.w2`), N, 4 * d, d), p(`${pre}.mlp.b2`));
    h = h.map((z, i) => z + mlp[i]!);
  }
  const out = layerNorm(h, p('lnf.g'), p('lnf.b'), N, d);
  let loss = 0;
  for (let r = 0; r < N; r++) {
    const logits = new Float64Array(V);
    for (let c = 0; c < V; c++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += out[r * d + j]! * wte[c * d + j]!;
      logits[c] = dot;
    }
    const mx = Math.max(...logits);
    let lse = 0;
    for (let c = 0; c < V; c++) lse += Math.exp(logits[c]! - mx);
    const target = y[Math.floor(r / T)]![r % T]!;
    loss += mx + Math.log(lse) - logits[target]!;
  }
  return loss / N;
}

/** Central-difference gradient of {@link lossF64} for every parameter, in float64. */
export function finiteDifferenceGrads(config: ModelConfig, w: Weights64, x: number[][], y: number[][], h = 1e-5): Weights64 {
  const grads: Weights64 = new Map();
  for (const spec of paramSpecs(config)) {
    const t = w.get(spec.name)!;
    const g = new Float64Array(t.length);
    for (let i = 0; i < t.length; i++) {
      const orig = t[i]!;
      t[i] = orig + h;
      const plus = lossF64(config, w, x, y);
      t[i] = orig - h;
      const minus = lossF64(config, w, x, y);
      t[i] = orig;
      g[i] = (plus - minus) / (2 * h);
    }
    grads.set(spec.name, g);
  }
  return grads;
}
