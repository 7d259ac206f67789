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

/** leads-bulk-flag of `selection`, its items batch applied by D1 and its answer lost; the response and the jobs added. */
async function flagLosingAnswer(selection: Record<string, unknown>) {
  const { DB, lost } = losingAnswer((stmts) => stmts.some((s) => /INSERT INTO "?bulk_job_items"?/.test(sqlOf(s))));
  const queue = fakeQueue();
  const before = await jobs();
  const res = await fetchWith({ DB, BULK_QUEUE: queue as never }, "/api/v4/leads-bulk-flag", {
    method: "POST",
    headers: { ...admin, "Content-Type": "application/json" },
    body: JSON.stringify({ ...selection, leadFlag: "/api/v4/lead-flags/2", reason: "Answer lost" }),
  });
  expect(lost.count).toBe(1);
  expect(res.status).toBe(202);
  return { body: (await res.json()) as { id: number; total: number; status: string }, added: (await jobs()) - before, sent: queue.sent };
}

describe("a bulk job whose items batch applied but whose answer was lost", () => {
  it("answers 202 with the job, stored once, and queues its batch", async () => {
    const { body, added, sent } = await flagLosingAnswer({ leads: [53101, 53102] });
    expect(body.total).toBe(2);
    expect(added).toBe(1);
    expect(sent).toEqual([{ jobId: body.id, batch: 0 }]);
  });

  it("answers 202 for a selection that matches no lead, whose job is done at once", async () => {
    // Campaign 602 has no leads: the job has no items, and the recount makes it done.
    const { body, added, sent } = await flagLosingAnswer({ filter: "campaign.id=602" });
    expect([body.total, body.status]).toEqual([0, "done"]);
    expect(added).toBe(1);
    expect(sent).toEqual([]);
  });
});
