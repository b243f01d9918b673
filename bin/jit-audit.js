#!/usr/bin/env node
// The auditors' CLI (functions/cli/audit.ts), run from its TypeScript source through tsx.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../functions/cli/audit.ts');
await run();
