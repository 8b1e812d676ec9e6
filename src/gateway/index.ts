/** `tokenform gateway` as a library: the guard in front of any MCP server (see server.ts). */
export { UpstreamCatalog } from "./catalog.js";
export { CALLER_HEADERS } from "./headers.js";
export { DEFAULT_GATEWAY_PORT, type GatewayOptions, type RunningGateway, startGateway } from "./server.js";
