import { and, asc, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { authenticate } from "../../auth/authenticate";
import { getDb } from "../../db/client";
import { campaignProcessrJobs, JOB_RESULT_STATUSES, LEAD_FLAGS, leads, processrJobLeads } from "../../db/schema";
import type { AppEnv } from "../../env";
import { notFound } from "../../errors";
import { isoTs } from "../../http/iso-time";
import { isIntegrationJobType } from "../../integrations";
import { DELIVERY_LABEL } from "../../integrations/delivery-outcome";
import { PROCESSR_STATUS, PROCESSR_STATUS_NAMES } from "../../processr/types";
import { assertActsFor, idParam } from "./access";
import { archivedLeadResult } from "../../archive/lead-result";

// GET /api/v2.{1,4}/publisher/{publisher_id}/lead-result/{lead_id} (Convertr's publisher API documentation). Convertr never
// published the body; ours is documented in docs/publisher-api.md ("Lead result").
export const leadResult = new Hono<AppEnv>();

const jobResultSchema = z.object({
  jobId: z.number().int(),
  label: z.string(),
  status: z.enum(JOB_RESULT_STATUSES),
  score: z.number().int(),
  message: z.string(),
  detail: z.string().nullable().optional().meta({ description: "Admins only: what the job found." }),
});

/** The lead's Processr state, QA outcome and each job's result. */
export const leadResultSchema = z.object({
  leadId: z.number().int(),
  campaignId: z.number().int(),
  publisherId: z.number().int(),
  formId: z.number().int(),
  processrStatus: z.number().int(),
  processrStatusName: z.string(),
  complete: z.boolean(),
  qaStatus: z.enum(LEAD_FLAGS).nullable(),
  score: z.number().int().nullable(),
  maxScore: z.number().int().nullable(),
  hardfail: z.boolean().nullable(),
  overAllocation: z.boolean(),
  reasons: z.array(z.object({ jobId: z.number().int(), label: z.string(), message: z.string() })),
  jobs: z.array(jobResultSchema),
  createdTs: z.string(),
  updatedTs: z.string(),
  archived: z.literal(true).optional().meta({ description: "Present when the lead is archived: read from the archive, as it was when archived." }),
});


leadResult.get("/:publisherId/lead-result/:leadId", authenticate({ apiKey: true }), async (c) => {
  const publisherId = idParam(c.req.param("publisherId"));
  const leadId = idParam(c.req.param("leadId"));
  const p = c.var.principal;
  assertActsFor(p, publisherId);

  const db = getDb(c.env);
  const [lead, jobs] = await db.batch([
    db
      .select({
        id: leads.id, campaignId: leads.campaignId, publisherId: leads.publisherId, formId: leads.formId,
        processrStatus: leads.processrStatus, flag: leads.flag, score: leads.score, maxScore: leads.maxScore,
        hardfail: leads.hardfail, overAllocation: leads.overAllocation,
        createdTs: leads.createdTs, updatedTs: leads.updatedTs,
      })
      .from(leads)
      .where(and(eq(leads.id, leadId), eq(leads.publisherId, publisherId), isNull(leads.deletedTs))),
    db
      .select({
        jobId: processrJobLeads.campaignProcessrJobId, type: campaignProcessrJobs.type, label: campaignProcessrJobs.label,
        status: processrJobLeads.status, score: processrJobLeads.score, message: processrJobLeads.message, detail: processrJobLeads.detail,
      })
      .from(processrJobLeads)
      .innerJoin(campaignProcessrJobs, eq(campaignProcessrJobs.id, processrJobLeads.campaignProcessrJobId))
      .where(eq(processrJobLeads.leadId, leadId))
      .orderBy(asc(campaignProcessrJobs.position), asc(campaignProcessrJobs.id)),
  ]);
  // Not in D1: an archived lead of this publisher is read from its file (src/archive).
  const found = lead[0] ? { lead: lead[0], jobs, archived: false } : { ...(await archivedLeadResult(c.env, leadId, publisherId)), archived: true };
  const l = found.lead;
  // Another publisher's lead, or (for an API key) a lead of another campaign, is not found.
  if (!l || (p.kind === "apiKey" && p.campaignId !== l.campaignId)) throw notFound();

  // The QA outcome exists once the Processr has flagged the lead.
  const flagged = l.flag !== null;
  // An integration job's label names the client's CRM, and a result's detail quotes it: admins only.
  const admin = p.kind === "user" && p.role === "admin";
  const results = found.jobs!.map(({ type, detail, ...j }) =>
    admin ? { ...j, detail } : isIntegrationJobType(type) ? { ...j, label: DELIVERY_LABEL } : j);
  const body: z.output<typeof leadResultSchema> = {
    leadId: l.id,
    campaignId: l.campaignId,
    publisherId: l.publisherId,
    formId: l.formId,
    processrStatus: l.processrStatus,
    processrStatusName: PROCESSR_STATUS_NAMES[l.processrStatus] ?? "Unknown",
    complete: l.processrStatus === PROCESSR_STATUS.COMPLETE,
    qaStatus: l.flag,
    score: flagged ? l.score : null,
    maxScore: flagged ? l.maxScore : null,
    hardfail: flagged ? l.hardfail : null,
    overAllocation: l.overAllocation,
    reasons: results.filter((j) => j.status === "failed").map((j) => ({ jobId: j.jobId, label: j.label, message: j.message })),
    jobs: results,
    createdTs: isoTs(l.createdTs),
    updatedTs: isoTs(l.updatedTs),
    ...(found.archived ? { archived: true as const } : {}),
  };
  return c.json(body);
});
