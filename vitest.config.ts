import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // Real-Odoo suites share one server per file; running files in parallel on two cores
    // makes them slower, not faster.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
