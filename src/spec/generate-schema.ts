/** `npm run generate:schema`: writes `schema/tokenset.schema.json` from the zod schema. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { JSON_SCHEMA_PATH, tokenSetJsonSchemaText } from "./json-schema.js";

const target = fileURLToPath(new URL(`../../${JSON_SCHEMA_PATH}`, import.meta.url));
writeFileSync(target, tokenSetJsonSchemaText());
process.stdout.write(`wrote ${JSON_SCHEMA_PATH}\n`);
