/**
 * `npm run build` step: bundles the dashboard's browser code (src/ui/bundle.ts) into `dist/ui/assets/`,
 * where the built service reads it (src/ui/assets.ts).
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { bundleUi } from "../src/ui/bundle.js";

const outDir = join(import.meta.dirname, "..", "dist", "ui", "assets");
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
for (const [name, asset] of await bundleUi()) await writeFile(join(outDir, name), asset.body);
console.log(`dashboard assets written to ${outDir}`);
