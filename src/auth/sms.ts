import { outboxMessages } from "../db/schema";
import { getDb } from "../db/client";
import type { Env } from "../env";

// Messages to users (MFA codes, password reset codes) go through this interface. `outbox` keeps
// them in D1 for local use (GET /__dev/outbox); `twilio` calls Twilio's REST API.
export interface MessageSender {
  send(to: string, body: string): Promise<void>;
}

class OutboxSender implements MessageSender {
  constructor(private readonly env: Env) {}
  async send(to: string, body: string) {
    await getDb(this.env).insert(outboxMessages).values({ to, body, createdTs: Date.now() });
  }
}

class TwilioSender implements MessageSender {
  constructor(private readonly env: Env) {}
  async send(to: string, body: string) {
    const { TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token, TWILIO_FROM: from } = this.env;
    if (!sid || !token || !from) throw new Error("Twilio credentials are not configured");
    const base = this.env.TWILIO_API_BASE ?? "https://api.twilio.com";
    const res = await fetch(`${base}/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${btoa(`${sid}:${token}`)}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ To: to, From: from, Body: body }),
    });
    // The body is not logged: it contains the code.
    if (!res.ok) throw new Error(`Twilio answered ${res.status}`);
  }
}

export function messageSender(env: Env): MessageSender {
  if (env.SMS_PROVIDER === "twilio") return new TwilioSender(env);
  // Stored codes would be readable by whoever reads D1: never in production.
  if (env.ENVIRONMENT !== "local") throw new Error('SMS_PROVIDER "outbox" is for ENVIRONMENT=local only');
  return new OutboxSender(env);
}
