/** `tokenform account show|set-rate-limit`: reads or sets the caller's account through the API. */
import type { Account } from "../../api/schemas.js";
import { connect } from "../connect.js";
import { type Io, processIo } from "./common.js";

export interface AccountOptions {
  embedded?: boolean;
  apiUrl?: string;
  /** Set the hourly limit (null: back to the server's default); absent: only show the account. */
  perHour?: number | "unlimited" | null;
}

function describe(account: Account): string {
  const { perHour, effective } = account.rateLimit;
  const limit =
    effective === "unlimited" ? "unlimited" : `${effective.toLocaleString("en-US")} requests/hour`;
  return `account ${account.name}: rate limit ${limit} for all its keys together${perHour === null ? " (the server's default)" : ""}\n`;
}

export async function runAccount(options: AccountOptions, io: Io = processIo()): Promise<number> {
  const connection = await connect({
    ...(options.embedded ? { embedded: true } : {}),
    ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
  });
  try {
    const account =
      options.perHour === undefined
        ? await connection.api.getAccount()
        : await connection.api.updateAccount({ rateLimit: { perHour: options.perHour } });
    io.stdout.write(describe(account));
    return 0;
  } finally {
    await connection.close();
  }
}
