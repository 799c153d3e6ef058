#!/usr/bin/env node
// The `strata` command: runs the TypeScript CLI through tsx's loader, so a clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
