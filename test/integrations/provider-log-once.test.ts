import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { integrationBatch } from "../../src/integrations/dispatch";
import { hostSlots } from "../../src/integrations/host-limiter";
import { CONNECT_TO_SELF, delivery, insertJob, insertLead, losingAnswer, providerLogs, stubFetch, toSelf } from "./helpers";

// A Convertr Connect delivery to a client that takes the sync tag with the lead writes its call's
// provider log line in the outcome's batch. The deliveries of a queue batch share that batch; when
// D1 applies a combined one but its answer is lost, each delivery's outcome is sent again alone.
// That second sending must find the delivery finished and write nothing: one log line per call.

const { LEAD_PATH, config } = CONNECT_TO_SELF;

// The client is this Worker. Lead POSTs are held until `expected` of them have come, so that the
// deliveries finish together and their outcomes share one batch.
let expected = 0;
let held: (() => void)[] = [];
const spy = stubFetch({
  current: async (req) => {
    if (new URL(req.url).pathname === LEAD_PATH && expected > 0) {
      await new Promise<void>((go) => {
        held.push(go);
        if (held.length === expected) for (const release of held.splice(0)) release();
      });
    }
    return toSelf(req);
  },
});
afterAll(() => spy.mockRestore());

describe("an outcome batch applied by D1 whose answer was lost", () => {
  it("is sent again delivery by delivery without writing any line, note or result twice", async () => {
    const jobId = await insertJob(602, "convertr_connect", config, "Convertr Connect: lost answer");
    // Warm: the client's token and extension document cached, as for every later delivery.
    const warm = await insertLead(602, 12, 36, { firstName: "Warm", surname: "Up", emailAddress: "warm@lost.example" });
    const first = await integrationBatch(env, [{ type: "integrate", leadId: warm.id, jobId }]);
    expect(await first({ type: "integrate", leadId: warm.id, jobId })).toBe("ack");

    const leads = [];
    for (const name of ["Ada", "Grace", "Hedy"]) leads.push(await insertLead(602, 12, 36, { firstName: name, surname: "Lost", emailAddress: `${name.toLowerCase()}@lost.example` }));
    const msgs = leads.map((l) => ({ type: "integrate" as const, leadId: l.id, jobId }));
    // A tagged delivery's outcome is five statements: the log line, the job result, the note, the lead, the delivery.
    const { DB, lost } = losingAnswer((stmts) => stmts.length >= 2 * 5);
    expected = msgs.length;
    try {
      const handle = await integrationBatch({ ...env, DB }, msgs);
      const slots = msgs.map(() => hostSlots(env));
      const verdicts = await Promise.all(msgs.map((m, i) => handle(m, slots[i])));
      for (const s of slots) await s.release();
      expect(verdicts).toEqual(msgs.map(() => "ack"));
    } finally {
      expected = 0;
    }
    expect(lost.count).toBe(1);
    for (const { id } of leads) {
      expect(await delivery(id, jobId)).toMatchObject({ status: "delivered", attempts: 1 });
      const logs = await providerLogs(id);
      expect(logs.map((l) => l.context.outcome)).toEqual(["delivered"]);
      const written = await env.DB.prepare(
        `SELECT (SELECT count(*) FROM job_results WHERE lead_id = ?1 AND campaign_processr_job_id = ?2) AS results,
                (SELECT count(*) FROM lead_notes WHERE lead_id = ?1) AS notes`,
      ).bind(id, jobId).first();
      expect(written).toEqual({ results: 1, notes: 1 });
    }
  });
});
