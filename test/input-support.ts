import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hashSnapshotFiles } from "../bridge/src/snapshot/manifest.js";

/** Write manifest.json over the folder's current files, as pull does at its end. */
export async function writeSnapshotManifest(root: string): Promise<void> {
  const files = await hashSnapshotFiles(root);
  const manifest = { app: "Input test", pulledAt: "2026-12-01T00:00:00Z", files };
  writeFileSync(join(root, "manifest.json"), JSON.stringify(manifest));
}

/** Write files (path → text or bytes) under a snapshot root, creating folders as needed. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}
