import type { Env } from "../env";
import type { OutboundResult } from "./outbound-fetch";

// Provider logs (`logs` type "provider", shown by v4 logs and the Lead Data dialog): one row per
// outbound request with the request, the response, the duration and the outcome. Callers pass an
// already redacted URL; headers are never logged because they carry API keys.

const BODY_LOG_LIMIT = 4096;

export function truncate(s: string, limit = BODY_LOG_LIMIT): string {
  return s.length > limit ? `${s.slice(0, limit)}… (${s.length - limit} more characters)` : s;
}

export interface ProviderCall {
  leadId: number | null;
  campaignId: number | null;
  jobId: number | null;
  /** Short name of what was called: "Convertr Connect lead", "HTTP integration", ... */
  label: string;
  method: string;
  url: string;
  requestBody?: string;
  result: OutboundResult;
  outcome: "delivered" | "rejected" | "retry";
  message: string;
  test?: boolean;
  /** The delivery attempt whose outcome's batch writes the line (deliveryCallStatement). */
  attempt?: number;
}

const LEVEL = { delivered: "info", retry: "warning", rejected: "error" } as const;

export async function logProviderCall(env: Pick<Env, "DB">, call: ProviderCall): Promise<number> {
  const row = await providerCallStatement(env, call).first<{ id: number }>();
  return row!.id;
}

/** The insert of logProviderCall, for a caller that writes several in one batch. */
export function providerCallStatement(env: Pick<Env, "DB">, call: ProviderCall): D1PreparedStatement {
  // The table, not the view logs: RETURNING gives no id through a view's trigger.
  return env.DB.prepare(
    `INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, level, message, context)
     VALUES ('provider', ?, ?, ?, ?, ?, ?) RETURNING id`,
  ).bind(...providerCallRow(call));
}

/**
 * The insert of a delivery's call's line that goes in the batch of the delivery's outcome (dispatch's
 * finish): written unless the line of that attempt is there already, so that the batch sent again
 * after one that applied but whose answer was lost writes it once. Not "while the delivery is
 * pending", as the rest of that batch: the call was made even when the delivery was finished
 * meanwhile by someone else (the dead-letter handler of another copy of its message). An attempt
 * is one claim's (each claim counts one), so it names the call.
 */
export function deliveryCallStatement(env: Pick<Env, "DB">, call: ProviderCall & { attempt: number }): D1PreparedStatement {
  return env.DB.prepare(
    `INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, level, message, context)
     SELECT 'provider', ?1, ?2, ?3, ?4, ?5, ?6
      WHERE NOT EXISTS (SELECT 1 FROM log_lines WHERE lead_id = ?1 AND type = 'provider' AND campaign_processr_job_id = ?3 AND context ->> '$.attempt' = ?7)`,
  ).bind(...providerCallRow(call), call.attempt);
}

/** Many calls' lines in one statement (no ids returned), in the order given. */
export function providerCallsStatement(env: Pick<Env, "DB">, calls: readonly ProviderCall[]): D1PreparedStatement {
  return env.DB.prepare(
    `INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, level, message, context)
     SELECT 'provider', value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?) ORDER BY key`,
  ).bind(JSON.stringify(calls.map(providerCallRow)));
}

/** A call's log line: lead, campaign and job ids, level, message, context (JSON). */
function providerCallRow(call: ProviderCall) {
  const r = call.result;
  const context = {
    request: { method: call.method, url: call.url, body: call.requestBody === undefined ? null : truncate(call.requestBody) },
    response: r.ok
      ? { status: r.status, body: truncate(r.body), truncated: r.truncated }
      : { status: null, error: r.error, body: null },
    durationMs: r.durationMs,
    outcome: call.outcome,
    ...(call.attempt === undefined ? {} : { attempt: call.attempt }),
    ...(call.test ? { test: true } : {}),
  };
  const status = r.ok ? String(r.status) : r.error;
  return [
    call.leadId,
    call.campaignId,
    call.jobId,
    LEVEL[call.outcome],
    `${call.test ? "Test: " : ""}${call.label} ${call.method} ${call.url} → ${status} (${call.outcome}): ${truncate(call.message, 500)}`,
    JSON.stringify(context),
  ] as const;
}
