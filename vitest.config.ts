import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Two cores: keep workers few so DynamoDB Local (Java) gets its share.
    maxWorkers: 2,
    testTimeout: 30_000,
    // Synthesizing the stack in a hook takes a minute or more on a loaded 2-core machine.
    hookTimeout: 180_000,
    restoreMocks: true,
    // The SDK is pinned in the lock file; its notice about future Node 22-only releases is noise.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
