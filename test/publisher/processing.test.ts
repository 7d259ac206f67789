import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { sweepUnqueuedLeads } from "../../src/processr/sweeper";
import { bearer, DEMO, loginAs } from "../helpers";
import { callWithQueue, fakeQueue, formBody, leadsPath, runScheduled, SIMPLE } from "./support";

// The Processr hand-off: the message after the write, the sweeper when that message was lost,
// and over-allocation against the publisher's cap.
let token: string;
beforeAll(async () => {
  token = await loginAs(DEMO.northwind);
});

const init = (body: string, as = token): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded", ...bearer(as) },
  body,
});

describe("enqueueing", () => {
  it("sends one process message per captured lead", async () => {
    const q = fakeQueue();
    const res = await callWithQueue(q, leadsPath(12, 35, 601), init(formBody(SIMPLE)));
    const id = ((await res.json()) as { data: number }).data;
    expect(q.sent).toEqual([{ type: "process", leadId: id }]);
  });

  it("a failed send still answers 201; the sweeper re-enqueues the lead once it is a minute old", async () => {
    const failing = fakeQueue(true);
    const res = await callWithQueue(failing, leadsPath(12, 35, 601), init(formBody(SIMPLE)));
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { data: number }).data;
    const lead = await env.DB.prepare("SELECT processr_status, created_ts FROM leads WHERE id = ?").bind(id).first<{ processr_status: number; created_ts: number }>();
    expect(lead!.processr_status).toBe(0);

    // Too young: the first send may still be on its way.
    const early = fakeQueue();
    expect(await sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: early as never }, lead!.created_ts + 30_000)).not.toContain(id);

    // A minute later, through the Worker's own cron handler.
    await env.DB.prepare("UPDATE leads SET created_ts = created_ts - 61000, updated_ts = updated_ts - 61000 WHERE id = ?").bind(id).run();
    const q = fakeQueue();
    await runScheduled(q);
    expect(q.sent).toContainEqual({ type: "process", leadId: id });

    // Processed leads are never swept.
    await env.DB.prepare("UPDATE leads SET processr_status = 1000 WHERE id = ?").bind(id).run();
    const later = fakeQueue();
    await runScheduled(later);
    expect(later.sent).not.toContainEqual({ type: "process", leadId: id });
  });
});

describe("over-allocation (campaign_publishers.cap)", () => {
  it("a lead beyond the publisher's allocation of billable leads is stored with over_allocation = 1", async () => {
    const q = fakeQueue();
    // One place left: the leads captured so far (still being processed) hold theirs.
    await env.DB.prepare("UPDATE campaign_publishers SET cap = reserved_leads + 1 WHERE campaign_id = 601 AND publisher_id = 12").run();
    const post = async () => {
      const res = await callWithQueue(q, leadsPath(12, 35, 601), init(formBody(SIMPLE)));
      const id = ((await res.json()) as { data: number }).data;
      return (await env.DB.prepare("SELECT over_allocation FROM leads WHERE id = ?").bind(id).first<{ over_allocation: number }>())!;
    };
    const first = await post();
    expect(first.over_allocation).toBe(0);
    // The first lead holds the last place while it is processed: the allocation is used up.
    expect((await post()).over_allocation).toBe(1);
    // Another publisher of the campaign (no cap) is unaffected.
    const admin = await loginAs(DEMO.admin);
    const other = await callWithQueue(q, leadsPath(13, 35, 601), init(formBody(SIMPLE), admin));
    const otherId = ((await other.json()) as { data: number }).data;
    expect((await env.DB.prepare("SELECT over_allocation FROM leads WHERE id = ?").bind(otherId).first<{ over_allocation: number }>())!.over_allocation).toBe(0);
  });
});
