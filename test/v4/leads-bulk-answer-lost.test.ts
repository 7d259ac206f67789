import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { losingAnswer, sqlOf } from "../integrations/helpers";
import { fakeQueue } from "../publisher/support";
import { fetchWith } from "../ratelimit/app-fetch";
import { addLeads, tokens } from "./fixtures";

// A bulk job whose items batch D1 applied but whose answer was lost: the job is stored and will
// run (the cron resumes it), so the caller must get its 202, not an error that has it ask for
// the same operation again as a second job.

let admin: Record<string, string>;
beforeAll(async () => {
  await addLeads();
  ({ admin } = await tokens());
});

const jobs = async () => (await env.DB.prepare(`SELECT count(*) AS n FROM bulk_jobs`).first<{ n: number }>())!.n;

describe("a bulk job whose items batch applied but whose answer was lost", () => {
  it("answers 202 with the job, stored once, and queues its batch", async () => {
    const { DB, lost } = losingAnswer((stmts) => stmts.some((s) => /INSERT INTO "?bulk_job_items"?/.test(sqlOf(s))));
    const queue = fakeQueue();
    const before = await jobs();
    const res = await fetchWith({ DB, BULK_QUEUE: queue as never }, "/api/v4/leads-bulk-flag", {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/json" },
      body: JSON.stringify({ leads: [53101, 53102], leadFlag: "/api/v4/lead-flags/2", reason: "Answer lost" }),
    });
    expect(lost.count).toBe(1);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: number; total: number };
    expect(body.total).toBe(2);
    expect(await jobs()).toBe(before + 1);
    expect(queue.sent).toEqual([{ jobId: body.id, batch: 0 }]);
  });

  it("answers 202 for a selection that matches no lead, whose job is done at once", async () => {
    const { DB, lost } = losingAnswer((stmts) => stmts.some((s) => /INSERT INTO "?bulk_job_items"?/.test(sqlOf(s))));
    const queue = fakeQueue();
    const before = await jobs();
    // Campaign 602 has no leads: the job has no items, and the recount makes it done.
    const res = await fetchWith({ DB, BULK_QUEUE: queue as never }, "/api/v4/leads-bulk-flag", {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/json" },
      body: JSON.stringify({ filter: "campaign.id=602", leadFlag: "/api/v4/lead-flags/2", reason: "Answer lost" }),
    });
    expect(lost.count).toBe(1);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: number; total: number; status: string };
    expect([body.total, body.status]).toEqual([0, "done"]);
    expect(await jobs()).toBe(before + 1);
    expect(queue.sent).toEqual([]);
  });
});
