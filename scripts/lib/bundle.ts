import { resolve } from "node:path";

/**
 * Bundle benchmark entry points with esbuild, so that they run as compiled JavaScript the way
 * the installed CLI does, without tsx's loader thread in the measured memory and CPU time.
 * Outputs go under node_modules/.cache/netmera-bench, so that each bundle resolves its external
 * packages from this checkout. esbuild is installed as a dependency of tsx.
 */
export async function bundleEntries(
  entries: [source: string, output: string][],
): Promise<string[]> {
  const { build } = await import("esbuild");
  const outputs: string[] = [];
  for (const [source, output] of entries) {
    const outfile = resolve("node_modules/.cache/netmera-bench", output);
    await build({
      entryPoints: [resolve(source)],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      outfile,
      logLevel: "warning",
    });
    outputs.push(outfile);
  }
  return outputs;
}
