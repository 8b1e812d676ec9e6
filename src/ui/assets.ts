/**
 * The dashboard's static files: read once from `assets/` next to this module (what `npm run build` puts
 * in `dist/ui/assets/`), or — running from source, where that folder does not exist — bundled in memory by
 * esbuild on first use (src/ui/bundle.ts). Either way they are held in memory and served with an ETag.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { ASSET_TYPES, type Asset, bundleUi } from "./bundle.js";

/** A served file: its contents, type and strong ETag. */
export interface ServedAsset extends Asset {
  etag: string;
}

const BUILT_DIR = fileURLToPath(new URL("./assets/", import.meta.url));

async function readBuilt(): Promise<Map<string, Asset> | undefined> {
  let names: string[];
  try {
    names = await readdir(BUILT_DIR);
  } catch {
    return undefined;
  }
  if (!names.includes("app.js")) return undefined;
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const type = ASSET_TYPES[extname(name)];
    if (type) assets.set(name, { body: await readFile(BUILT_DIR + name), type });
  }
  return assets;
}

let loading: Promise<Map<string, ServedAsset>> | undefined;

/** The dashboard's files by name (`app.js`, `app.css`), loaded or bundled once per process. */
export function dashboardAssets(): Promise<Map<string, ServedAsset>> {
  loading ??= (async () => {
    const assets = (await readBuilt()) ?? (await bundleUi());
    const served = new Map<string, ServedAsset>();
    for (const [name, asset] of assets) {
      const etag = `"${createHash("sha256").update(asset.body).digest("base64url").slice(0, 22)}"`;
      served.set(name, { ...asset, etag });
    }
    return served;
  })();
  loading.catch(() => {
    loading = undefined; // let a later request try again
  });
  return loading;
}
