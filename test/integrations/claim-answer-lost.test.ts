import { env } from "cloudflare:workers";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { integrationJobs } from "../../src/integrations";
import { integrationBatch } from "../../src/integrations/dispatch";
import { hostSlots } from "../../src/integrations/host-limiter";
import type { JobLead } from "../../src/processr/types";
import { insertTestCampaign } from "../leads/fixtures";
import { delivery, insertJob, insertLead, losingAnswer, sqlOf } from "./helpers";

// The claims of a queue batch's deliveries that run at the same time share one D1 batch. When D1
// applies that batch but its answer is lost, each claim is sent again alone and finds its delivery
// leased, by itself; a claim sent alone gets the failure itself. Each delivery must still go out at
// once, once, as its first attempt, rather than wait for its own lease to run out and come back as a
// second attempt.

const TYPE = "claim_lost_for_test";
const sent: number[] = [];
integrationJobs[TYPE] = {
  kind: "integration", type: TYPE, catalogueId: null, name: TYPE,
  configSchema: z.object({}),
  destination: () => "https://claim-lost.example.test/leads",
  isActive: () => true,
  async deliver(lead: JobLead) {
    sent.push(lead.id);
    return { status: "delivered", message: "ok" };
  },
};
afterAll(() => delete integrationJobs[TYPE]);
afterEach(() => vi.restoreAllMocks());

const CAMPAIGN = 698;
await insertTestCampaign(CAMPAIGN, []);
let seq = 0;

const CLAIM = "UPDATE integration_deliveries SET attempts = attempts + 1";

describe("a claim applied by D1 whose answer was lost", () => {
  it("in a shared batch delivers each lead at once, once, as its first attempt", async () => {
    const jobId = await insertJob(CAMPAIGN, TYPE, {});
    const leads = [];
    for (let i = 0; i < 3; i++) leads.push((await insertLead(CAMPAIGN, 12, 35, { email: `claim${++seq}@example.org` })).id);
    const msgs = leads.map((leadId) => ({ type: "integrate" as const, leadId, jobId }));
    const later = vi.spyOn(env.PROCESSR_QUEUE, "send");
    // The first batch of several claims applies, then throws.
    const { DB, lost } = losingAnswer((stmts) => stmts.length > 1 && stmts.every((s) => sqlOf(s).startsWith(CLAIM)));
    const handle = await integrationBatch({ ...env, DB }, msgs);
    const slots = msgs.map(() => hostSlots(env));
    const verdicts = await Promise.all(msgs.map((m, i) => handle(m, slots[i])));
    for (const s of slots) await s.release();

    expect(lost.count).toBe(1);
    expect(verdicts).toEqual(msgs.map(() => "ack"));
    // Nothing put off for later: every delivery went out in this run.
    expect(later).not.toHaveBeenCalled();
    expect(sent.sort()).toEqual([...leads].sort());
    for (const leadId of leads) expect(await delivery(leadId, jobId)).toMatchObject({ status: "delivered", attempts: 1, lease_until_ts: null });
  });

  it("sent alone delivers its lead at once, once, as its first attempt", async () => {
    const jobId = await insertJob(CAMPAIGN, TYPE, {});
    const { id: leadId } = await insertLead(CAMPAIGN, 12, 35, { email: `claim${++seq}@example.org` });
    const msg = { type: "integrate" as const, leadId, jobId };
    const later = vi.spyOn(env.PROCESSR_QUEUE, "send");
    const { DB, lost } = losingAnswer((stmts) => stmts.length === 1 && sqlOf(stmts[0]!).startsWith(CLAIM));
    const handle = await integrationBatch({ ...env, DB }, [msg]);
    expect(await handle(msg)).toBe("ack");
    expect(lost.count).toBe(1);
    expect(later).not.toHaveBeenCalled();
    expect(sent.filter((id) => id === leadId)).toEqual([leadId]);
    expect(await delivery(leadId, jobId)).toMatchObject({ status: "delivered", attempts: 1, lease_until_ts: null });
  });
});
