/** The bundle's entry point: runs the Action. All logic is in `main.ts` (imported by tests without side effects). */
import { run } from "./main.js";

await run();
