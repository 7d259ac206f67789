import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { setLeadValues } from "../../src/leads/lead-data-block";
import { readLeadStates } from "../../src/leads/lead-object";
import { loadLeads } from "../../src/processr/run";
import { bearer, DEMO, loginAs } from "../helpers";
import { insertLead, insertTestCampaign } from "../leads/fixtures";
import { formBody, leadsPath, postForm } from "../publisher/support";

// loadLeads hands each lead object the lead's state; its job types (the campaign's enabled job
// types: does the lead go on to integrations?) come from the campaigns' jobs the batch reads for
// the run, and must be what the object's own read (readLeadStates) gives.

const MIXED = 6961;

beforeAll(async () => {
  await insertTestCampaign(MIXED, [
    { id: 69611, type: "required_value_check", label: "Required", score: 10 },
    { id: 69612, type: "required_value_check", label: "Required again", score: 10 },
    { id: 69613, type: "vowel_check", label: "Vowels (disabled)", score: 10 },
    { id: 69614, type: "http_post_for_test", label: "Delivery", score: 0 },
    { id: 69615, type: "webhook_for_test", label: "Delivery (disabled)", score: 0 },
  ]);
  await env.DB.prepare(`UPDATE campaign_processr_jobs SET enabled = 0 WHERE id IN (69613, 69615)`).run();
});

const sorted = <T extends { jobTypes: string[] }>(s: T | undefined) => s && { ...s, jobTypes: [...s.jobTypes].sort() };

describe("loadLeads' lead states", () => {
  it("are the lead objects' own read, job types included, for leads of several campaigns in one batch", async () => {
    const ids = [await insertLead(), await insertLead({ campaignId: MIXED }), await insertLead(), await insertLead({ campaignId: MIXED })];
    const { states } = await loadLeads(env.DB, [...ids, 999_999_999]);
    const expected = await readLeadStates(env.DB, ids);
    expect(states.size).toBe(4);
    for (const id of ids) expect(sorted(states.get(id))).toEqual(sorted(expected.get(id)));
    expect(sorted(states.get(ids[1]!))!.jobTypes).toEqual(["http_post_for_test", "required_value_check"]);
  });
});

// The run's values come with the states' read, decoded from the lead's row (leads.data) in the
// worker: they must be what the view lead_datas shows for the lead, its hash (type "system") left out.
describe("loadLeads' lead values", () => {
  it("are the view's values of each lead: as captured, added and edited later, a deleted one, a name like __proto__", async () => {
    const res = await postForm(leadsPath(12, 35, 601), formBody({ firstName: "Grace", lastName: "Hopper", email: "grace.load@example.org" }), bearer(await loginAs(DEMO.northwind)));
    expect(res.status).toBe(201);
    // As capture wrote it: its block, the ids from its data_id.
    const captured = ((await res.json()) as { data: number }).data;
    const plain = await insertLead();
    const edited = await insertLead({ campaignId: MIXED, data: { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", __proto__x: "p" } });
    await env.DB.batch([
      ...setLeadValues(env.DB, edited, [["lastName", "Byron"], ["__proto__", "proto"], ["extra", "added"]], "core.data", Date.now() + 5),
      ...setLeadValues(env.DB, edited, [["score", "7"]], "custom", Date.now() + 6),
    ]);
    await env.DB.prepare(`DELETE FROM lead_datas WHERE lead_id = ?1 AND name = 'firstName'`).bind(edited).run();
    const { leads } = await loadLeads(env.DB, [captured, plain, edited]);
    for (const id of [captured, plain, edited]) {
      const rows = (await env.DB.prepare(`SELECT name, value FROM lead_datas WHERE lead_id = ?1 AND type <> 'system' ORDER BY id`).bind(id).all<{ name: string; value: string }>()).results;
      const values = leads.get(id)!.values;
      expect(Object.getPrototypeOf(values)).toBeNull();
      expect(Object.entries(values)).toEqual(rows.map((r) => [r.name, r.value]));
    }
    expect(Object.keys(leads.get(edited)!.values)).toEqual(["lastName", "email", "__proto__x", "__proto__", "extra", "score"]);
    expect(leads.get(edited)!.values.lastName).toBe("Byron");
    expect({ ...leads.get(captured)!.values }).toEqual({ firstName: "Grace", lastName: "Hopper", email: "grace.load@example.org" });
  });
});
