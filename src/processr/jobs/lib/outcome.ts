import type { JobOutcome } from "../../types";

// Outcome and message helpers, so every job words its reasons the same way.

export const pass = (message: string): JobOutcome => ({ passed: true, message });
export const fail = (message: string): JobOutcome => ({ passed: false, message });

/** A name or value in double quotes, shortened so that a message stays readable. */
export function q(s: string, max = 60): string {
  const short = [...s].length > max ? `${[...s].slice(0, max - 1).join("")}…` : s;
  return JSON.stringify(short);
}

export const qList = (xs: readonly string[]) => xs.map((x) => q(x)).join(", ");

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
