/**
 * The dashboard's static answers: `/ui` → `/ui/`, the HTML page, and the bundled files under
 * `/ui/assets/` (src/ui/assets.ts) with ETags.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { ServiceError } from "../service/errors.js";
import { dashboardAssets } from "./assets.js";
import { PAGE_HTML } from "./page.js";

/** The dashboard's files, or a 503 that says how to get them (a checkout without its browser sources). */
async function files(logger: Logger): ReturnType<typeof dashboardAssets> {
  try {
    return await dashboardAssets();
  } catch (error) {
    logger.error({ err: error }, "the dashboard's files could not be bundled");
    throw new ServiceError(
      "unavailable",
      "the dashboard's files are not built: run npm run build (it writes dist/ui/assets), or serve with --no-ui",
    );
  }
}

async function asset(
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  id: string,
  logger: Logger,
): Promise<void> {
  const file = (await files(logger)).get(name);
  if (!file) throw new ServiceError("not_found", `no dashboard asset ${name}`);
  if (req.headers["if-none-match"] === file.etag) {
    res.writeHead(304, { ETag: file.etag }).end();
    return;
  }
  res.writeHead(200, {
    "Content-Type": file.type,
    "Content-Length": file.body.length,
    ETag: file.etag,
    "Cache-Control": "no-cache",
    "X-Request-Id": id,
  });
  res.end(req.method === "HEAD" ? undefined : file.body);
}

/** Answers a GET/HEAD of a static path and returns true; false when `path` is not one. */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  id: string,
  logger: Logger,
): Promise<boolean> {
  if (path === "/ui") {
    res.writeHead(308, { Location: "/ui/" }).end();
    return true;
  }
  if (path === "/ui/") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : PAGE_HTML);
    return true;
  }
  if (path.startsWith("/ui/assets/")) {
    await asset(req, res, path.slice("/ui/assets/".length), id, logger);
    return true;
  }
  return false;
}
