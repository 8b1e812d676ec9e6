/**
 * Finding the route of a request: static paths with one Map lookup, templated ones (`/v1/tokens/{id}`)
 * by pattern; 405 with `Allow` when the path exists for other methods, 404 when it does not, 400 for a
 * path parameter that does not decode. The raw path is matched as sent (no dot-segment resolution: such
 * paths simply match no route).
 */
import { ServiceError } from "../errors.js";
import type { Route } from "./routes.js";

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  keys: string[];
}

/** The route a request goes to, with its decoded path parameters. */
export interface Match {
  route: Route;
  params: Record<string, string>;
}

interface Found {
  candidates: CompiledRoute[];
  match: RegExpExecArray | null;
}

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_m, key: string) => {
    keys.push(key);
    return "([^/]+)";
  });
  return { route, pattern: new RegExp(`^${source}$`), keys };
}

/** The parameters of a route without any: shared, never written. */
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function decodeParams(entry: CompiledRoute, match: RegExpExecArray | null): Record<string, string> {
  if (entry.keys.length === 0) return NO_PARAMS;
  const params: Record<string, string> = {};
  for (let i = 0; i < entry.keys.length; i++) {
    try {
      params[entry.keys[i]!] = decodeURIComponent(match![i + 1]!);
    } catch {
      throw new ServiceError("bad_request", `malformed path parameter ${entry.keys[i]}`);
    }
  }
  return params;
}

/** Builds the matcher of `routes`: `(method, pathname)` to the route and its parameters, or throws. */
export function createRouter(routes: Route[]): (method: string | undefined, pathname: string) => Match {
  const staticRoutes = new Map<string, CompiledRoute[]>();
  const patternRoutes: CompiledRoute[] = [];
  for (const entry of routes.map(compile)) {
    if (entry.keys.length > 0) patternRoutes.push(entry);
    else staticRoutes.set(entry.route.path, [...(staticRoutes.get(entry.route.path) ?? []), entry]);
  }

  // What `find` answers for each static path, built once (shared, never written).
  const staticFound = new Map<string, Found[]>();
  for (const [path, candidates] of staticRoutes) staticFound.set(path, [{ candidates, match: null }]);

  function find(pathname: string): Found[] {
    const exact = staticFound.get(pathname);
    if (exact) return exact;
    const found: Found[] = [];
    for (const entry of patternRoutes) {
      const match = entry.pattern.exec(pathname);
      if (match) found.push({ candidates: [entry], match });
    }
    return found;
  }

  return (method, pathname) => {
    const allowed: string[] = [];
    for (const group of find(pathname)) {
      for (const entry of group.candidates) {
        if (entry.route.method === method)
          return { route: entry.route, params: decodeParams(entry, group.match) };
        allowed.push(entry.route.method);
      }
    }
    if (allowed.length > 0) {
      throw new ServiceError(
        "method_not_allowed",
        `${method} is not allowed here; use ${allowed.join(", ")}`,
        {
          Allow: allowed.join(", "),
        },
      );
    }
    throw new ServiceError("not_found", `no route for ${method} ${pathname}`);
  };
}
