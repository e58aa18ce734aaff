// Worker-thread entry of the recipe compiler: Braise ships TypeScript sources, so the thread loads tsx first.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
