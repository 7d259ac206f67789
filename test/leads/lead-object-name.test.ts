import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { leadObject, subscribeToLead, transitionLead } from "../../src/leads/client";
import { type LeadObject, leadIdOfName } from "../../src/leads/lead-object";
import type { TransitionRequest } from "../../src/leads/types";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { agencyContract601, insertLead, interceptFetch, processLeads, rows } from "./fixtures";

// A lead object knows its lead from the name it is reached by ("lead:<id>", ctx.id.name), in its
// calls and in its alarm: it stores nothing to know it, and still refuses a call for another lead.

const CALLBACK = "https://agency.example/api/webhook/sync";
const manualTest = (leadId: number): TransitionRequest => ({ leadId, to: "Test", source: "manual", userId: 167, author: "admin@acme.test" });
const storedKeys = (leadId: number) =>
  runInDurableObject(leadObject(env, leadId), async (_object, ctx) => [...(await ctx.storage.list()).keys()]);

let cpId: number;
let answers: (() => Response)[] = [];

beforeAll(async () => {
  cpId = await agencyContract601();
});
beforeEach(() => {
  answers = [];
  interceptFetch("https://agency.example/", () => (answers.shift() ?? (() => new Response(null, { status: 204 })))());
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A lead with a subscription whose first callback failed, its retry due now. */
async function leadWithCallbackDue(): Promise<number> {
  const id = await insertLead();
  const sub = await subscribeToLead(env, { leadId: id, campaignPublisherId: cpId, callbackUrl: CALLBACK, secret: newWebhookSecret() });
  expect(sub.ok).toBe(true);
  answers = [() => new Response("down", { status: 500 })];
  await processLeads(id);
  await vi.waitFor(async () => {
    expect(await rows(`SELECT status, attempts FROM webhook_deliveries WHERE lead_id = ?1`, id)).toEqual([{ status: "pending", attempts: 1 }]);
  }, { timeout: 10_000, interval: 50 });
  await env.DB.prepare(`UPDATE webhook_deliveries SET next_attempt_ts = 0 WHERE lead_id = ?1`).bind(id).run();
  return id;
}

describe("a lead object's own lead", () => {
  it("is read from the name: lead: and a positive safe integer, nothing else", () => {
    expect(leadIdOfName("lead:42")).toBe(42);
    expect(leadIdOfName(`lead:${Number.MAX_SAFE_INTEGER}`)).toBe(Number.MAX_SAFE_INTEGER);
    for (const name of [undefined, "", "lead:", "lead:0", "lead:007", "lead:-1", "lead:1.5", "lead:1e3", " lead:1", "lead:1 ", "Lead:1", "lead:9007199254740993", "x:1"]) {
      expect(leadIdOfName(name), String(name)).toBeNull();
    }
  });

  it("is not stored: a transition leaves nothing in the object's storage", async () => {
    const id = await insertLead();
    expect(await transitionLead(env, manualTest(id))).toMatchObject({ ok: true, changed: true });
    expect(await storedKeys(id)).toEqual([]);
  });

  it("is the only lead the object accepts calls for; an object of another name accepts none", async () => {
    const [id, other] = [await insertLead(), await insertLead()];
    // Called on the instance (inside the object): an error thrown across RPC is also reported as unhandled by the test pool.
    const refusal = (stub: DurableObjectStub<LeadObject>, leadId: number) =>
      runInDurableObject(stub, (object) => object.transition(manualTest(leadId)).then(() => "accepted", (e: unknown) => String(e)));
    expect(await refusal(leadObject(env, id), other)).toBe(`Error: the object of lead ${id} was called for lead ${other}`);
    const misnamed = env.LEAD_OBJECT.get(env.LEAD_OBJECT.idFromName(`lead:0${id}`));
    expect(await refusal(misnamed, id)).toBe(`Error: a lead object is reached by the name "lead:<id>", not "lead:0${id}"`);
    expect(await refusal(env.LEAD_OBJECT.get(env.LEAD_OBJECT.newUniqueId()), id)).toBe('Error: a lead object is reached by the name "lead:<id>", not undefined');
    expect(await rows(`SELECT 1 FROM lead_notes WHERE lead_id IN (?1, ?2)`, id, other)).toEqual([]);
  });

  it("is known to an alarm that wakes a restarted object with nothing stored, which delivers the lead's callbacks", async () => {
    const id = await leadWithCallbackDue();
    // The object's storage emptied but for an alarm a moment on, the object restarted:
    // the alarm the runtime fires on its own (no test helper calling alarm()) has only the name to go by.
    await runInDurableObject(leadObject(env, id), async (_object, ctx) => {
      await ctx.storage.deleteAll();
      await ctx.storage.setAlarm(Date.now() + 200);
    });
    await abortAllDurableObjects();
    await vi.waitFor(async () => {
      expect(await rows(`SELECT status, attempts, last_status_code FROM webhook_deliveries WHERE lead_id = ?1`, id))
        .toEqual([{ status: "delivered", attempts: 2, last_status_code: 204 }]);
    }, { timeout: 10_000, interval: 100 });
  });

  it("is found by an alarm without a name in what an earlier version stored; with neither, the alarm ends and the callback waits", async () => {
    const id = await leadWithCallbackDue();
    const alarmOf = async (stored: number | null) => {
      const unnamed = env.LEAD_OBJECT.get(env.LEAD_OBJECT.newUniqueId());
      await runInDurableObject(unnamed, async (_object, ctx) => {
        if (stored !== null) await ctx.storage.put("leadId", stored);
        await ctx.storage.setAlarm(Date.now() + 60_000);
      });
      return runDurableObjectAlarm(unnamed);
    };
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await alarmOf(null)).toBe(true);
    expect(quiet).toHaveBeenCalledWith("lead object alarm without a lead: name undefined, nothing stored");
    expect(await rows(`SELECT status, attempts FROM webhook_deliveries WHERE lead_id = ?1`, id)).toEqual([{ status: "pending", attempts: 1 }]);
    expect(await alarmOf(id)).toBe(true);
    expect(await rows(`SELECT status, attempts, last_status_code FROM webhook_deliveries WHERE lead_id = ?1`, id))
      .toEqual([{ status: "delivered", attempts: 2, last_status_code: 204 }]);
  });
});
