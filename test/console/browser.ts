// The console's browser tests drive Debian's chromium (`apt-get install chromium`; .ci/run installs
// it when missing) with playwright-core: no browser is downloaded at install time.
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Page, ViewportSize as Viewport } from "playwright-core";
import { afterAll, beforeAll, vi } from "vitest";
// @ts-ignore -- plain ESM module without type declarations (test/ is outside tsconfig anyway)
import { launchChromium } from "../../scripts/lib/chromium.mjs";
import { type Enterprises, startEnterprises } from "../e2e/harness";

/** Screenshots of every screen the tests visit, for a person to look at (gitignored). */
export const SHOTS_DIR = join(process.cwd(), "test-results/console");

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SHOTS_DIR, { recursive: true });
  return launchChromium() as Promise<Browser>;
}

/**
 * For a test file: both demo enterprises (test/e2e/harness.ts, on the run's test ports) and a browser,
 * started before its tests and stopped after them.
 */
export function useDemo(): { ent: Enterprises; browser: Browser } {
  // A screen waits on workerd, D1 and a React render on a small shared machine: polls get 15 s.
  vi.setConfig({ expect: { poll: { timeout: 15_000 } } });
  const demo = {} as { ent: Enterprises; browser: Browser };
  beforeAll(async () => {
    demo.ent = await startEnterprises();
    demo.browser = await launchBrowser();
  });
  afterAll(async () => {
    await demo.browser?.close();
    await demo.ent?.stop();
  });
  return demo;
}

/** A fresh browser context (no session) and the page errors and CSP violations it collects (tests expect none). */
export async function newPage(browser: Browser, baseURL: string, viewport: Viewport = { width: 1280, height: 800 }): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL, viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // The console's Content-Security-Policy (admin/public/_headers) must not block any of its own code.
  page.on("console", (m) => {
    if (m.type() === "error" && m.text().includes("Content Security Policy")) errors.push(m.text());
  });
  return { page, errors };
}

/** Starts a stand-in server on a free loopback port (a fixed one can be taken by another run); its port. */
export function listenLocal(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS_DIR, `${name}.png`), fullPage: true });

/** The newest code texted to `to` by the local outbox SMS provider. */
export async function latestCode(baseURL: string, to: string, digits: number): Promise<string> {
  const messages = (await (await fetch(`${baseURL}/__dev/outbox`)).json()) as { to: string; body: string }[];
  const mine = messages.filter((m) => m.to === to);
  const match = mine.at(-1)?.body.match(new RegExp(`\\b(\\d{${digits}})\\b`));
  if (!match) throw new Error(`no ${digits}-digit code for ${to} in the outbox`);
  return match[1]!;
}

/** An access token for API reads made by the test itself (to compare with what the console shows). */
export async function apiToken(baseURL: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${baseURL}/api/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function apiGet<T>(baseURL: string, token: string, path: string): Promise<T> {
  const res = await fetch(`${baseURL}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
