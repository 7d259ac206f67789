import { beforeAll, describe, expect, it } from "vitest";
import type { ProcessrMessage } from "../../src/processr/messages";
import { bearer, DEMO, loginAs } from "../helpers";
import { losingAnswer, sqlOf } from "../integrations/helpers";
import { callWith, count, fakeQueue, formBody, leadsPath } from "./support";

// A capture whose write batch D1 applied but whose answer was lost on the way back: the lead is
// stored, so the publisher must be told so (201 with its id, and the lead sent to the Processr),
// not given an error that has it post the same lead again (without an Idempotency-Key, a second lead).

let token: string;
beforeAll(async () => {
  token = await loginAs(DEMO.northwind);
});

describe("a capture whose write applied but whose answer was lost", () => {
  it("answers 201 with the stored lead's id, once, and sends it to the Processr", async () => {
    const { DB, lost } = losingAnswer((stmts) => stmts.some((s) => /INSERT INTO leads/.test(sqlOf(s))));
    const queue = fakeQueue();
    const email = "answer-lost@capture.example";
    const res = await callWith({ DB, PROCESSR_QUEUE: queue as unknown as Queue<ProcessrMessage> }, leadsPath(12, 35, 601, "?linkId=25"), {
      method: "POST",
      headers: { ...bearer(token), "Content-Type": "application/x-www-form-urlencoded" },
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
