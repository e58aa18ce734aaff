#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (Braise ships sources; no build step).
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
