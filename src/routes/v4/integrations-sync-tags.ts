import { type Context, Hono } from "hono";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { ld } from "../../hydra/jsonld";
import { unprocessable, violations } from "../../hydra/write";
import { connectCredentials, convertrConnect, convertrConnectConfig, type ConvertrConnectConfig } from "../../integrations/convertr-connect";
import { hostBusyMessage } from "../../integrations/host-limiter";
import { isoTs } from "../../http/iso-time";
import { removeSyncTags, syncTagStatus } from "../../integrations/sync-tags";
import { placeSyncTags } from "../../integrations/sync-tags-backfill";

// The "Place Sync Tags" button of a Convertr Connect job (Convertr's Connect help article), as an action with state:
//   GET    /api/v4/campaign-processr-jobs/{id}/sync-tags → whether tags are placed, since when, how many leads
//   POST   …/sync-tags → place: every later delivery is tagged, and the leads already delivered are
//          tagged in batches: the first during the call, the rest by the bulk queue (GET shows progress)
//   DELETE …/sync-tags → remove: no new tags; the client's callbacks are answered 410 Gone
// Admins only. The state lives in src/integrations/sync-tags.ts.

export const syncTags = new Hono<AppEnv>();

async function connectJob(c: Context<AppEnv>): Promise<{ id: number; campaignId: number; config: ConvertrConnectConfig }> {
  const job = await c.env.DB.prepare("SELECT id, campaign_id, type, config FROM campaign_processr_jobs WHERE id = ?")
    .bind(Number(c.req.param("id")))
    .first<{ id: number; campaign_id: number; type: string; config: string }>();
  if (!job) throw new ApiError("NOT_FOUND", "Not Found");
  if (job.type !== convertrConnect.type) {
    throw unprocessable([{ propertyPath: "", message: `Only ${convertrConnect.type} jobs have sync tags (this job is ${job.type}).` }]);
  }
  const config = convertrConnectConfig.safeParse(JSON.parse(job.config));
  if (!config.success) throw unprocessable(violations(config.error.issues).map((v) => ({ ...v, propertyPath: `config.${v.propertyPath}` })));
  return { id: job.id, campaignId: job.campaign_id, config: config.data };
}

async function statusBody(c: Context<AppEnv>, job: { id: number; config: ConvertrConnectConfig }, extra: Record<string, unknown> = {}) {
  const s = await syncTagStatus(c.env, job.id, job.config.syncTags);
  return ld(c, {
    "@type": "SyncTags",
    job: `/api/v4/campaign-processr-jobs/${job.id}`,
    placed: s.placed,
    placedTs: s.placedTs === null ? null : isoTs(s.placedTs),
    removedTs: s.removedTs === null ? null : isoTs(s.removedTs),
    coveredLeads: s.coveredLeads,
    untaggedLeads: s.untaggedLeads,
    ...extra,
  });
}

const path = "/campaign-processr-jobs/:id{[0-9]+}/sync-tags";

syncTags.get(path, authenticate(), requireAdmin, async (c) => statusBody(c, await connectJob(c)));

syncTags.post(path, authenticate(), requireAdmin, async (c) => {
  const job = await connectJob(c);
  const creds = connectCredentials(job.config);
  const placed = await placeSyncTags(c.env, job, creds);
  if (!placed.ok && "busy" in placed) {
    const seconds = Math.ceil(placed.busy.retryAfterMs / 1000);
    const host = new URL(creds.baseUrl).host;
    throw new ApiError("RATE_LIMITED", `${hostBusyMessage(host, placed.busy.reason)}; try again in ${seconds} s.`, { headers: { "Retry-After": String(seconds) } });
  }
  if (!placed.ok) {
    const f = placed.failure;
    if (f.transient || f.field === null) throw new ApiError("BAD_GATEWAY", f.message);
    throw unprocessable([{ propertyPath: `config.${f.field}`, message: f.message }]);
  }
  return statusBody(c, job, { taggedNow: placed.tagged, refusedNow: placed.failed });
});

syncTags.delete(path, authenticate(), requireAdmin, async (c) => {
  const job = await connectJob(c);
  await removeSyncTags(c.env, job.id);
  return statusBody(c, job);
});
