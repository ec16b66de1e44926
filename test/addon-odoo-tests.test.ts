import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { describeOdoo, REPO_ROOT } from "./support/odoo.js";

const run = promisify(execFile);

describeOdoo("netmera_migration addon's Odoo tests", () => {
  it(
    "pass on a fresh database",
    async () => {
      const script = join(REPO_ROOT, "scripts/odoo-addon-tests.sh");
      const result = await run("bash", [script], { maxBuffer: 64 * 1024 * 1024 }).catch(
        (error: { stdout?: string; stderr?: string; code?: number }) => error,
      );
      const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;

      expect(output, output).toMatch(/odoo-addon-tests: \d+ passed, 0 failed/);
      const ran = Number(/odoo-addon-tests: (\d+) passed/.exec(output)?.[1]);
      expect(ran).toBeGreaterThan(50);
    },
    30 * 60_000,
  );
});
