/** Types of eslint.layers.js (plain JS, so eslint.config.js imports it without a TypeScript loader). */
import type { Linter } from 'eslint';

export interface Layer {
  may: readonly string[];
  types?: readonly string[];
  except?: readonly string[];
}

export const LAYERS: Readonly<Record<string, Layer>>;
export function layerConfigs(): Linter.Config[];
