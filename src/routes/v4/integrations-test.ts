import { Hono } from "hono";
import { z } from "zod";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { ld } from "../../hydra/jsonld";
import { readJsonObject, relation, unprocessable, validate, violations } from "../../hydra/write";
import { hostBusyMessage, withHostSlot } from "../../integrations/host-limiter";
import { httpIntegration, httpIntegrationConfig, runHttpIntegration } from "../../integrations/http-integration";
import { loadIntegrationLead } from "../../integrations/lead-values";

// POST /api/v4/campaign-processr-jobs/{id}/test {"lead": 123 | "/api/v4/leads/123"} or {}
// Convoso Connect's "Test": runs an HTTP integration job once for the given lead — without one, the
// campaign's most recent live lead, as Convoso fills in a lead id — now, and returns the result; the
// call is a provider log line like any other (marked test). It does not count as the lead's
// delivery (the at-most-once record is left alone), and a GET's value is not written to the lead.

const bodySchema = z.object({ lead: relation("leads").optional() });

export const integrationTest = new Hono<AppEnv>();

integrationTest.post("/campaign-processr-jobs/:id{[0-9]+}/test", authenticate(), requireAdmin, async (c) => {
  const jobId = Number(c.req.param("id"));
  const { lead: givenLeadId } = validate(bodySchema, await readJsonObject(c, "json"));
  const job = await c.env.DB.prepare("SELECT id, campaign_id, type, config FROM campaign_processr_jobs WHERE id = ?")
    .bind(jobId)
    .first<{ id: number; campaign_id: number; type: string; config: string }>();
  if (!job) throw new ApiError("NOT_FOUND", "Not Found");
  if (job.type !== httpIntegration.type) {
    throw unprocessable([{ propertyPath: "", message: `Only ${httpIntegration.type} jobs have a test action (this job is ${job.type}).` }]);
  }
  const config = httpIntegrationConfig.safeParse(JSON.parse(job.config));
  if (!config.success) {
    throw unprocessable(violations(config.error.issues).map((v) => ({ ...v, propertyPath: `config.${v.propertyPath}` })));
  }
  const leadId =
    givenLeadId ??
    (
      await c.env.DB.prepare("SELECT id FROM leads WHERE campaign_id = ? AND deleted_ts IS NULL ORDER BY created_ts DESC, id DESC LIMIT 1")
        .bind(job.campaign_id)
        .first<{ id: number }>()
    )?.id;
  if (leadId === undefined) {
    throw unprocessable([{ propertyPath: "lead", message: `Campaign ${job.campaign_id} has no lead to test with; give a lead.` }]);
  }
  const lead = await loadIntegrationLead(c.env, leadId);
  if (!lead || lead.deletedTs !== null || lead.campaignId !== job.campaign_id) {
    throw unprocessable([{ propertyPath: "lead", message: `Lead ${leadId} is not a lead of campaign ${job.campaign_id}.` }]);
  }

  let host = "invalid";
  try {
    host = new URL(httpIntegration.destination(config.data)).host;
  } catch {
    // runHttpIntegration reports the bad URL
  }
  const run = await withHostSlot(c.env, host, () =>
    runHttpIntegration(c.env, lead, config.data, { jobId, idempotencyKey: `leadflare-test-${crypto.randomUUID()}`, test: true }),
  );
  if (!run.ok) {
    const seconds = Math.ceil(run.retryAfterMs / 1000);
    throw new ApiError("RATE_LIMITED", `${hostBusyMessage(host, run.reason)}; try again in ${seconds} s.`, {
      headers: { "Retry-After": String(seconds) },
    });
  }
  const { outcome, statusCode, durationMs, logId } = run.value;
  return ld(c, {
    "@type": "IntegrationTestResult",
    job: `/api/v4/campaign-processr-jobs/${jobId}`,
    lead: `/api/v4/leads/${leadId}`,
    outcome: outcome.status,
    message: outcome.message,
    statusCode,
    durationMs,
    responseValue: outcome.status === "delivered" ? outcome.responseValue ?? null : null,
    log: logId === null ? null : `/api/v4/logs/${logId}`,
  });
});
