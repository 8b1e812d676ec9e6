/** The plan library: compute a plan for a TokenSet and render it. Front ends import from here. */
export {
  computePlan,
  DEFAULT_EXPIRING_WITHIN_DAYS,
  DEFAULT_STALE_AFTER_DAYS,
  type PlanInput,
  planHash,
} from "./compute.js";
export * from "./desired.js";
export { ownerSelector, type PlanOptions, planTokenSet } from "./fetch.js";
export { SCHEDULED_KINDS, selectChanges } from "./filter.js";
export { renderJson } from "./render/json.js";
export { GITHUB_COMMENT_LIMIT, type MarkdownOptions, renderMarkdown } from "./render/markdown.js";
export { renderText, type TextOptions } from "./render/text.js";
export { closingLine } from "./render/words.js";
export { isRotationDue } from "./rotation.js";
export * from "./types.js";
