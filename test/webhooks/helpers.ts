import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { app } from "../../src/app";
import { BASE } from "../helpers";

export const WEBHOOK_KEY = "test-webhook-key-0123456789abcdef";

/** A request through the app with the enterprise's WEBHOOK_KEY set as given (undefined = not configured). */
export async function callWithKey(webhookKey: string | undefined, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(new URL(path, BASE), init), { ...env, WEBHOOK_KEY: webhookKey }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export async function leadRow(id: number) {
  return env.DB.prepare("SELECT flag, email, first_name, telephone, updated_ts FROM leads WHERE id = ?").bind(id).first<{
    flag: string | null; email: string | null; first_name: string | null; telephone: string | null; updated_ts: number;
  }>();
}

export async function notes(leadId: number) {
  const { results } = await env.DB.prepare("SELECT author, note, from_flag, to_flag, reason, user_id FROM lead_notes WHERE lead_id = ? ORDER BY id")
    .bind(leadId)
    .all<{ author: string; note: string; from_flag: string | null; to_flag: string | null; reason: string | null; user_id: number | null }>();
  return results;
}
