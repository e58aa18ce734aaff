/** The file `braise setup tensorflow` writes into an installed tfjs-node package to register its backend (ml/native/setup.ts). */
export const LOADER = 'braise-load.cjs';
