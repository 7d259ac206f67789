import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { readLeadStates } from "../../src/leads/lead-object";
import { loadLeads } from "../../src/processr/run";
import { insertLead, insertTestCampaign } from "../leads/fixtures";

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
