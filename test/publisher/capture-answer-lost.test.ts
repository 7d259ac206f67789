import { beforeAll, describe, expect, it } from "vitest";
import { demoCampaignWebhookKey } from "../../src/db/seed";
import type { ProcessrMessage } from "../../src/processr/messages";
import { bearer, DEMO, loginAs } from "../helpers";
import { losingAnswer, sqlOf } from "../integrations/helpers";
import { callWith, count, fakeQueue, formBody, leadsPath } from "./support";

// A capture whose write batch D1 applied but whose answer was lost on the way back: the lead is
// stored, so the caller must be told so (201 with its id, and the lead sent to the Processr), not
// given an error that has it post the same lead again (without an Idempotency-Key, a second lead).
// The publisher API and the campaign webhook share the capture.

const surfaces: [name: string, request: () => Promise<{ path: string; headers: Record<string, string> }>][] = [
  ["the publisher API", async () => ({ path: leadsPath(12, 35, 601, "?linkId=25"), headers: bearer(await loginAs(DEMO.northwind)) })],
  ["the campaign webhook", async () => ({ path: `/webhook/campaign/601/global-form/35/leads?campaignLinkId=25&publisherId=12&apikey=${await demoCampaignWebhookKey("acme", 601)}`, headers: {} })],
];

describe.each(surfaces)("a capture through %s whose write applied but whose answer was lost", (name, request) => {
  let req: Awaited<ReturnType<typeof request>>;
  beforeAll(async () => {
    req = await request();
  });

  it("answers 201 with the stored lead's id, once, and sends it to the Processr", async () => {
    const { DB, lost } = losingAnswer((stmts) => stmts.some((s) => /INSERT INTO leads/.test(sqlOf(s))));
    const queue = fakeQueue();
    const email = `answer-lost.${name.length}@capture.example`;
    const res = await callWith({ DB, PROCESSR_QUEUE: queue as unknown as Queue<ProcessrMessage> }, req.path, {
      method: "POST",
      headers: { ...req.headers, "Content-Type": "application/x-www-form-urlencoded" },
      body: formBody({ firstName: "Lost", lastName: "Answer", email }),
    });
    expect(lost.count).toBe(1);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { data: number };
    expect(await count("SELECT count(*) AS n FROM leads WHERE email = ?", email)).toBe(1);
    expect(await count("SELECT id AS n FROM leads WHERE email = ?", email)).toBe(body.data);
    expect(queue.sent).toEqual([{ type: "process", leadId: body.data }]);
  });
});
