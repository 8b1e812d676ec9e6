/**
 * Bundling the dashboard's browser code (`ui/src`, preact + uPlot) with esbuild into the few static files
 * `/ui/assets/` serves: `app.js` and `app.css`. `npm run build` writes them to `dist/ui/assets/`
 * (scripts/build-ui.ts); a service running from source, where that folder does not exist, bundles them in
 * memory on first use (src/ui/assets.ts). esbuild is a devDependency: only the from-source path loads it.
 */
import { fileURLToPath } from "node:url";

/** One static file of the dashboard. */
export interface Asset {
  body: Buffer;
  type: string;
}

export const ASSET_TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** The browser code's entry point (the same relative place from `src/ui` and from `dist/ui`). */
export const UI_ENTRY = fileURLToPath(new URL("../../ui/src/main.tsx", import.meta.url));

/** Bundles the browser code: file name → contents. */
export async function bundleUi(): Promise<Map<string, Asset>> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: { app: UI_ENTRY },
    bundle: true,
    format: "esm",
    target: "es2020",
    minify: true,
    legalComments: "none",
    jsx: "automatic",
    jsxImportSource: "preact",
    write: false,
    outdir: "/assets",
    logLevel: "silent",
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf("/") + 1);
    const type = ASSET_TYPES[name.slice(name.lastIndexOf("."))];
    if (type) assets.set(name, { body: Buffer.from(file.contents), type });
  }
  return assets;
}
