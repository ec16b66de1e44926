import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real-Odoo suites migrate whole snapshots; on a busy two-core machine one test can take minutes.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Real-Odoo suites share one server per file; running files in parallel on two cores
    // makes them slower, not faster.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
