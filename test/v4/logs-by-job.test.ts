import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { type Doc, get, tokens } from "./fixtures";

// An integration's Logs tab reads /api/v4/logs?campaignProcessrJob.id=…: only that job's calls.
it("filters the provider logs by the integration job that made the call", async () => {
  await env.DB.prepare(
    `INSERT INTO logs (type, campaign_id, campaign_processr_job_id, level, message) VALUES
     ('provider', 601, 9001, 'info', 'call of job 9001'), ('provider', 601, 9002, 'error', 'call of job 9002'), ('provider', 601, NULL, 'info', 'no job')`,
  ).run();
  const { admin } = await tokens();
  const { status, body } = await get("/api/v4/logs?type=provider&campaignProcessrJob.id=9002", admin);
  expect(status).toBe(200);
  expect((body["hydra:member"] as Doc[]).map((l) => [l.message, l.campaignProcessrJob])).toEqual([["call of job 9002", "/api/v4/campaign-processr-jobs/9002"]]);
  const bad = await get("/api/v4/logs?campaignProcessrJob.id=x", admin);
  expect(bad.status).toBe(400);
});
