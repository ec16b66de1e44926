import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real-Odoo suites migrate whole snapshots; on a busy two-core machine one test can take minutes.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Each real-Odoo suite starts its own server; two files at a time keeps both cores busy
    // without starving those servers.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
