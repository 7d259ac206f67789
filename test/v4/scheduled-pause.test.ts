import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { formBody, KEYS, leadsPath, postForm, SIMPLE } from "../publisher/support";
import { get, send, tokens } from "./fixtures";

// A campaign paused from a future date-time (pauseTs): accepted, shown, and applied by the cron
// once the time has come, with a campaign note; capture stops then.

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
});

async function cron() {
  const ctx = createExecutionContext();
  await worker.scheduled!({ cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, env, ctx);
  await waitOnExecutionContext(ctx);
}
const notes = async () => (await env.DB.prepare(`SELECT note FROM campaign_notes WHERE campaign_id = 601 AND author = 'scheduler'`).all<{ note: string }>()).results;
const capture = () => postForm(leadsPath(12, 35, 601), formBody({ ...SIMPLE, email: `sched${Math.random()}@example.org` }), { "X-Api-Key": KEYS.northwind601 });

describe("scheduled pause (PUT /api/v4/campaigns/{id} with a future pauseTs)", () => {
  it("keeps the campaign running until pauseTs, then the cron pauses it once", async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "+00:00");
    const res = await send("/api/v4/campaigns/601", "PUT", { pauseTs: at, pauseReason: "Budget review" }, t.admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "Active", pauseTs: at, pauseReason: "Budget review" });
    await cron();
    expect((await get("/api/v4/campaigns/601", t.admin)).body.status).toBe("Active");
    expect((await capture()).status).toBe(201);

    // The time comes (moved into the past rather than waiting an hour).
    await env.DB.prepare(`UPDATE campaigns SET pause_ts = ?1 WHERE id = 601`).bind(Date.now() - 1000).run();
    await cron();
    expect((await get("/api/v4/campaigns/601", t.admin)).body).toMatchObject({ status: "Paused", pauseReason: "Budget review" });
    expect(await notes()).toEqual([{ note: "Paused as scheduled: Budget review." }]);
    expect((await capture()).status).toBe(403);
    await cron();
    expect(await notes()).toHaveLength(1);

    // Resuming clears it; the cron leaves a resumed campaign alone.
    const resumed = await send("/api/v4/campaigns/601", "PUT", { pauseTs: null }, t.admin);
    expect(resumed.body).toMatchObject({ status: "Active", pauseTs: null });
    await cron();
    expect((await get("/api/v4/campaigns/601", t.admin)).body.status).toBe("Active");
  });
});
