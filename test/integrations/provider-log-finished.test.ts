import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { failDeadLetteredDelivery, handleIntegrateMessage } from "../../src/integrations/dispatch";
import { CONNECT_TO_SELF, delivery, insertJob, insertLead, providerLogs, stubFetch, toSelf } from "./helpers";

// A Convertr Connect delivery to a client that takes the sync tag with the lead writes its call's
// provider log line in the outcome's batch, once even when that batch is sent twice (its answer
// lost: provider-log-once). The line stands for a request that was made: it is written even when
// the delivery was finished meanwhile by someone else (here the dead-letter handler of another copy
// of its message), which leaves the outcome itself unwritten.

const { LEAD_PATH, config } = CONNECT_TO_SELF;

/** Runs before the client answers a lead POST (after the request was made). */
let duringPost: (() => Promise<void>) | null = null;
const spy = stubFetch({
  current: async (req) => {
    const res = await toSelf(req);
    if (new URL(req.url).pathname === LEAD_PATH && duringPost) await duringPost();
    return res;
  },
});
afterAll(() => spy.mockRestore());

let seq = 0;
const connectLead = () => insertLead(602, 12, 36, { firstName: "Ada", surname: "Finished", emailAddress: `ada${++seq}@finished.example` });

describe("the provider log line of a delivery's call written with its outcome", () => {
  it("is written once when the delivery was finished by someone else during the call", async () => {
    const jobId = await insertJob(602, "convertr_connect", config, "Convertr Connect: finished meanwhile");
    const lead = await connectLead();
    duringPost = async () => {
      await failDeadLetteredDelivery(env, { id: lead.id, campaignId: 602 }, jobId, "Dead-lettered after 5 attempts", "{}");
    };
    try {
      expect(await handleIntegrateMessage(env, { type: "integrate", leadId: lead.id, jobId })).toBe("ack");
    } finally {
      duringPost = null;
    }
    // The other finish stands; the call made meanwhile is in the log all the same.
    expect(await delivery(lead.id, jobId)).toMatchObject({ status: "failed", last_error: "Dead-lettered after 5 attempts" });
    const logs = await providerLogs(lead.id);
    expect(logs.filter((l) => l.message.includes("Convertr Connect lead")).map((l) => l.context.outcome)).toEqual(["delivered"]);
  });
});
