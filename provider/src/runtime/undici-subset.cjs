/**
 * What the provider bundle uses of undici — `Agent` and `request`, which src/api/client.ts imports — without
 * the rest of undici's index (fetch, WebSocket, cookies, caches, mocks, interceptors): provider/build.ts
 * points the bundle's "undici" here. Evaluating the whole index cost every plan's provider process about
 * 20 ms before its first HTTP request. `request` is index.js's `makeDispatcher(api.request)`, as written
 * there (undici 7); the global dispatcher is installed as undici's index does it (lib/global.js).
 */
"use strict";

const Agent = require("undici/lib/dispatcher/agent");
const api = require("undici/lib/api");
const util = require("undici/lib/core/util");
const { InvalidArgumentError } = require("undici/lib/core/errors");
const { getGlobalDispatcher } = require("undici/lib/global");

function makeDispatcher(fn) {
  return (url, opts, handler) => {
    if (typeof opts === "function") {
      handler = opts;
      opts = null;
    }
    if (!url || (typeof url !== "string" && typeof url !== "object" && !(url instanceof URL))) {
      throw new InvalidArgumentError("invalid url");
    }
    if (opts != null && typeof opts !== "object") {
      throw new InvalidArgumentError("invalid opts");
    }
    if (opts && opts.path != null) {
      if (typeof opts.path !== "string") {
        throw new InvalidArgumentError("invalid opts.path");
      }
      let path = opts.path;
      if (!opts.path.startsWith("/")) {
        path = `/${path}`;
      }
      url = new URL(util.parseOrigin(url).origin + path);
    } else {
      if (!opts) {
        opts = typeof url === "object" ? url : {};
      }
      url = util.parseURL(url);
    }
    const { agent, dispatcher = getGlobalDispatcher() } = opts;
    if (agent) {
      throw new InvalidArgumentError("unsupported opts.agent. Did you mean opts.client?");
    }
    return fn.call(
      dispatcher,
      {
        ...opts,
        origin: url.origin,
        path: url.search ? `${url.pathname}${url.search}` : url.pathname,
        method: opts.method || (opts.body ? "PUT" : "GET"),
      },
      handler,
    );
  };
}

module.exports.Agent = Agent;
module.exports.request = makeDispatcher(api.request);
