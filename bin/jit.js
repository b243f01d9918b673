#!/usr/bin/env node
// The requesters' CLI (functions/cli/jit.ts), run from its TypeScript source through tsx.
import { register } from 'tsx/esm/api';

// The SDK is pinned in the lock file; its notice about future Node 22-only releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { run } = await import('../functions/cli/jit.ts');
await run();
