/**
 * The dashboard's static answers: `/ui` → `/ui/`, the HTML page, and the bundled files under
 * `/ui/assets/` (src/ui/assets.ts) with ETags.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ServiceError } from "../service/errors.js";
import { dashboardAssets } from "./assets.js";
import { PAGE_HTML } from "./page.js";

async function asset(req: IncomingMessage, res: ServerResponse, name: string, id: string): Promise<void> {
  const file = (await dashboardAssets()).get(name);
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
    await asset(req, res, path.slice("/ui/assets/".length), id);
    return true;
  }
  return false;
}
