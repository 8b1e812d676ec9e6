/** `tokenform tokens list`: the service's tokens as a table or JSON (never secrets: the API has none). */
import { connect } from "../connect.js";
import { renderTokensTable } from "../tokens-table.js";
import { type Io, processIo } from "./common.js";

export interface TokensListOptions {
  embedded?: boolean;
  apiUrl?: string;
  selector?: string;
  format?: "table" | "json";
}

export async function runTokensList(options: TokensListOptions, io: Io = processIo()): Promise<number> {
  const connection = await connect({
    ...(options.embedded ? { embedded: true } : {}),
    ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
  });
  try {
    const tokens = await connection.api.listAllTokens(options.selector ? { selector: options.selector } : {});
    io.stdout.write(
      options.format === "json" ? `${JSON.stringify(tokens, null, 2)}\n` : renderTokensTable(tokens),
    );
    return 0;
  } finally {
    await connection.close();
  }
}
