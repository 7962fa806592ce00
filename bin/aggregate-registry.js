#!/usr/bin/env node
// The CLI is TypeScript (cli/); tsx runs it, resolved from here so any working directory works.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
