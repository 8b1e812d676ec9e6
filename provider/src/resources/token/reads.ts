/**
 * Refreshing every `tokenform_token` of a plan with one list request. Terraform refreshes each resource
 * with its own ReadResource call; the first one in a provider process lists the owner's tokens (every
 * page, through the API client's `listAllTokens`, as `tokenform plan` does) and later ones are answered
 * from that snapshot. A token not in it — relabelled to another owner, never labelled, or deleted — is
 * read on its own (`getToken`), so its refresh says what a single read says (another owner, or gone).
 *
 * What a stale snapshot means: a provider process lives for one graph walk of one command, and a plan
 * walk only reads and plans. Every refresh of the walk sees the service as it was when the list was
 * taken — one consistent moment, where N single reads would each see a different one. A token changed
 * between the list and its ReadResource is shown as it was at the list, exactly as if its read had come
 * first; the change shows in the next plan. That is the staleness every plan already has (nothing stops a
 * change between plan and apply), and apply never acts on it: it reads each token again and writes with
 * If-Match on the version it read (src/apply). Once the process writes anything (ApplyResourceChange),
 * the snapshot is dropped and every later read goes to the service, so a process never answers from a
 * list taken before its own change.
 */
import type { TokenformApi } from "../../../../src/api/contract.js";
import type { Token } from "../../../../src/api/schemas.js";
import { ownerSelector } from "../../../../src/plan/fetch.js";

export class TokenReads {
  #snapshot: Promise<ReadonlyMap<string, Token> | undefined> | undefined;
  #wrote = false;

  constructor(
    private readonly api: TokenformApi,
    private readonly owner: string,
  ) {}

  /** The token with this id: from the snapshot, else from the service (which throws not_found when gone). */
  async get(id: string): Promise<Token> {
    if (!this.#wrote) {
      this.#snapshot ??= this.#list();
      const hit = (await this.#snapshot)?.get(id);
      // A write may have started while the list was on its way: then the service answers.
      if (hit !== undefined && !this.#wrote) return hit;
    }
    return this.api.getToken(id);
  }

  /** Called before the process changes anything: from then on every read goes to the service. */
  wrote(): void {
    this.#wrote = true;
    this.#snapshot = undefined;
  }

  /** The owner's tokens by id; undefined when the list fails (each read then asks on its own and reports). */
  async #list(): Promise<ReadonlyMap<string, Token> | undefined> {
    try {
      const tokens = await this.api.listAllTokens({ selector: ownerSelector(this.owner) });
      return new Map(tokens.map((t) => [t.id, t]));
    } catch {
      return undefined;
    }
  }
}
