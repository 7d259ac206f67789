import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { failDeadLetteredDelivery, handleIntegrateMessage } from "../../src/integrations/dispatch";
import { ACME_CLIENT, delivery, insertJob, insertLead, providerLogs, stubFetch, toSelf } from "./helpers";

// A Convertr Connect delivery to a client that takes the sync tag with the lead writes its call's
// provider log line in the outcome's batch, once even when that batch is sent twice (its answer
// lost: provider-log-once). The line stands for a request that was made: it is written even when
// the delivery was finished meanwhile by someone else (here the dead-letter handler of another copy
// of its message), which leaves the outcome itself unwritten.

const API_KEY = "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b"; // campaign 601, publisher 13
const LEAD_PATH = "/api/v2.4/publisher/13/forms/35/campaign/601/leads";
const ORIGIN = "http://127.0.0.1:8781";
const config = {
  enterpriseUrl: ORIGIN, clientId: ACME_CLIENT.clientId, clientSecret: ACME_CLIENT.clientSecret,
  apiKey: API_KEY, publisherId: 13, campaignId: 601, formId: 35, linkId: 25,
  mapping: { firstName: "firstName", lastName: "surname", email: "emailAddress" }, syncTags: true,
};

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
      await failDeadLetteredDelivery(env, lead.id, jobId, "Dead-lettered after 5 attempts");
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
