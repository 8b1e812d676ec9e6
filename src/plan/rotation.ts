/** The rotation schedule rule, shared by the plan engine and the Terraform provider (no dependencies). */

/** Whether a secret issued at `rotatedAt` (ISO time) is due for rotation every `everySeconds` at `now`. */
export function isRotationDue(rotatedAt: string, everySeconds: number, now: Date): boolean {
  return Date.parse(rotatedAt) + everySeconds * 1000 <= now.getTime();
}
