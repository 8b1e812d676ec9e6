#!/usr/bin/env node
/** The `tokenform` executable: builds the program and runs it. All behaviour lives in `program.ts`. */
import { main } from "./program.js";

process.exitCode = await main(process.argv.slice(2));
