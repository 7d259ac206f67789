import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueIntegrations, handleIntegrateMessage } from "../../src/integrations/dispatch";
import { httpIntegrationConfig } from "../../src/integrations/http-integration";
import type { TriggerEvent } from "../../src/integrations/triggers";
import { handleQueue } from "../../src/processr/consumer";
import type { ProcessrMessage } from "../../src/processr/messages";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { insertJob, insertLead, recordingEnv, type Sent, stubVendor, withAdaptor } from "./helpers";

// Integration triggers: each job acts on its event only, and once per lead however often the event
// is reported. The events are reported as the hooks do (the lead object on a flag change, the
// Processr when a lead's run starts, dispatch after a delivery).
const base = { name: "Vendor", url: "https://vendor.example.test/in", method: "POST", responseKey: "" };

const vendor = stubVendor(() => Response.json({ ok: true }));
/** The jobs that called the vendor, in order. */
const calls = () => vendor.requests.map((r) => new URL(r.url).searchParams.get("job"));
beforeEach(async () => {
  // Each test's jobs only (D1 keeps the earlier tests' rows).
  await env.DB.prepare("UPDATE campaign_processr_jobs SET enabled = 0 WHERE config LIKE '%vendor.example.test%'").run();
});

/** A job of campaign 602 whose calls say which job made them. */
const job = async (name: string, extra: Record<string, unknown> = {}) =>
  insertJob(602, "http_integration", await withAdaptor({ ...base, url: `${base.url}?job=${name}`, ...extra }), name);

/** Runs every queued integrate message (and those they queue), like the queue consumer would. */
async function drain(sent: Sent[]) {
  const e = recordingEnv();
  for (let m = sent.shift(); m; m = sent.shift() ?? e.sent.shift()) {
    if (m.body.type === "integrate") await handleIntegrateMessage(e.env, m.body);
  }
}

async function report(leadId: number, events: TriggerEvent[]) {
  const { env: e, sent } = recordingEnv();
  await enqueueIntegrations(e, leadId, events);
  await drain(sent);
}

const ON_FLAG_CHANGE: TriggerEvent[] = ["leadProcessed", "flagChanged"];

describe("integration triggers", () => {
  it("leadProcessed (the default) acts when the lead is Valid; flagChanged only on its flags; each once", async () => {
    await job("processed");
    await job("toInvalid", { trigger: "flagChanged", triggerFlags: ["Invalid", "Caution"] });
    const lead = await insertLead(602, 12, 36, { firstName: "Ada" }, "Valid");
    await report(lead.id, ON_FLAG_CHANGE);
    expect(calls()).toEqual(["processed"]);
    await env.DB.prepare("UPDATE leads SET flag = 'Invalid' WHERE id = ?").bind(lead.id).run();
    await report(lead.id, ON_FLAG_CHANGE);
    await env.DB.prepare("UPDATE leads SET flag = 'Caution' WHERE id = ?").bind(lead.id).run();
    await report(lead.id, ON_FLAG_CHANGE);
    await env.DB.prepare("UPDATE leads SET flag = 'Valid' WHERE id = ?").bind(lead.id).run();
    await report(lead.id, ON_FLAG_CHANGE);
    expect(calls()).toEqual(["processed", "toInvalid"]);
  });

  it("a queued flagChanged job does not act once the lead has left its flags", async () => {
    await job("toCaution", { trigger: "flagChanged", triggerFlags: ["Caution"] });
    const lead = await insertLead(602, 12, 36, { firstName: "Ada" }, "Caution");
    const { env: e, sent } = recordingEnv();
    await enqueueIntegrations(e, lead.id, ON_FLAG_CHANGE);
    expect(sent).toHaveLength(1);
    await env.DB.prepare("UPDATE leads SET flag = 'Valid' WHERE id = ?").bind(lead.id).run();
    await drain(sent);
    expect(calls()).toEqual([]);
  });

  it("a flag change through the API hands the lead to the jobs whose trigger holds", async () => {
    const onInvalid = await job("onInvalid", { trigger: "flagChanged", triggerFlags: ["Invalid"] });
    const processed = await job("processed");
    const lead = await insertLead(602, 12, 36, { firstName: "Ada" }, "Caution");
    const admin = await loginAs(DEMO.admin);
    const res = await call(`/api/v4/leads/${lead.id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json", ...bearer(admin) },
      body: JSON.stringify({ leadFlag: "/api/v4/lead-flags/2", reason: "Checked by phone" }),
    });
    expect(res.status).toBe(200);
    const jobs = await env.DB.prepare("SELECT campaign_processr_job_id AS job FROM integration_deliveries WHERE lead_id = ?")
      .bind(lead.id)
      .all<{ job: number }>();
    expect(jobs.results.map((r) => r.job)).toEqual([onInvalid]);
    expect(jobs.results.map((r) => r.job)).not.toContain(processed);
  });

  it("leadDelivered acts after another integration delivered the lead, once", async () => {
    await job("processed");
    await job("afterDelivery", { trigger: "leadDelivered" });
    const lead = await insertLead(602, 12, 36, { firstName: "Ada" }, "Valid");
    await report(lead.id, ON_FLAG_CHANGE);
    expect(calls()).toEqual(["processed", "afterDelivery"]);
    await report(lead.id, ["leadDelivered", ...ON_FLAG_CHANGE]);
    expect(calls()).toEqual(["processed", "afterDelivery"]);
  });

  it("leadCreated acts when the lead's Processr run starts, whatever its flag, once", async () => {
    await job("created", { trigger: "leadCreated" });
    const lead = await insertLead(602, 12, 36, { firstName: "Ada" });
    await env.DB.prepare("UPDATE leads SET flag = NULL, qa_result = NULL, processr_status = 0 WHERE id = ?").bind(lead.id).run();
    const { env: e, sent } = recordingEnv();
    const acked: string[] = [];
    const message = (id: string) => ({
      id, timestamp: new Date(), attempts: 1, body: { type: "process", leadId: lead.id } as ProcessrMessage,
      ack: () => acked.push(id), retry: () => {},
    });
    await handleQueue({ queue: "processr", messages: [message("m1")] } as unknown as MessageBatch<ProcessrMessage>, e, {} as ExecutionContext);
    expect(acked).toEqual(["m1"]);
    const created = sent.filter((s) => s.body.type === "integrate");
    expect(created).toHaveLength(1);
    await drain(created);
    expect(calls()).toEqual(["created"]);
    await report(lead.id, ["leadCreated"]);
    expect(calls()).toEqual(["created"]);
  });

  it("validates the trigger and keeps configurations without one on leadProcessed", () => {
    const parse = (extra: Record<string, unknown>) => httpIntegrationConfig.safeParse({ ...base, adaptorId: 1, ...extra });
    expect(parse({}).data).toMatchObject({ trigger: "leadProcessed", triggerFlags: [] });
    expect(parse({ trigger: "flagChanged" }).error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["triggerFlags", "Name the flags that trigger the job (Valid, Caution, Invalid, Test)."],
    ]);
    expect(parse({ triggerFlags: ["Valid"] }).error!.issues[0]!.path).toEqual(["triggerFlags"]);
    expect(parse({ trigger: "leadUpdated" }).error!.issues[0]!.path).toEqual(["trigger"]);
    expect(parse({ trigger: "flagChanged", triggerFlags: ["Deleted"] }).error!.issues[0]!.path).toEqual(["triggerFlags", 0]);
  });
});
