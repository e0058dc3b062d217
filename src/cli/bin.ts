/** bin.ts: the entry of dist/cli.js (the `seedling` command). */
import { run } from './main';

run();
