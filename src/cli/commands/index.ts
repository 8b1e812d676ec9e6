/**
 * The list of CLI commands. Each entry registers one command (or group) on the program; add a line here
 * when adding a command module.
 */
import type { Command } from "commander";
import { registerAccount } from "./account.js";
import { registerAdmin } from "./admin.js";
import { registerGateway } from "./gateway.js";
import { registerLogin } from "./login.js";
import { registerPatterns } from "./patterns.js";
import { registerPickup } from "./pickup.js";
import { registerProvider } from "./provider.js";
import {
  registerApply,
  registerPlan,
  registerQuickstart,
  registerRotate,
  registerTokens,
} from "./reconcile.js";
import { registerServe } from "./serve.js";
import { registerToken } from "./token.js";
import { registerValidate } from "./validate.js";

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerValidate,
  registerPlan,
  registerApply,
  registerRotate,
  registerTokens,
  registerProvider,
  registerServe,
  registerAdmin,
  registerAccount,
  registerGateway,
  registerToken,
  registerLogin,
  registerPickup,
  registerPatterns,
  registerQuickstart,
];
