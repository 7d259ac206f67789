import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { transitionLead } from "../../src/leads/client";
import { recountCampaign } from "../../src/leads/statistics";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { campaignStats, insertLead, leadRow, processLeads, rows } from "../leads/fixtures";

// POST /api/v4/leads/{id}/reprocess: admin only; clears the job results, runs the Processr again
// through the real queue, and applies the new outcome through the lead object.

let admin: string;
let publisher: string;
beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
  publisher = await loginAs(DEMO.northwind);
});

const reprocess = (id: number | string, headers: Record<string, string> = {}) =>
  call(`/api/v4/leads/${id}/reprocess`, { method: "POST", headers });

const hydraError = (status: number, description: string) => async (res: Response) => {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/ld\+json/);
  expect(await res.json()).toMatchObject({ "@type": "hydra:Error", "hydra:description": description });
};

describe("POST /api/v4/leads/{id}/reprocess", () => {
  it("re-runs the Processr and records the changed flag in a note", async () => {
    const id = await insertLead();
    await processLeads(id);
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", processing_counter: 1 });
    // The data changes (as the edit-data tab allows), so the new run finds test data.
    await env.DB.prepare(`UPDATE lead_datas SET value = 'Test' WHERE lead_id = ?1 AND name = 'lastName'`).bind(id).run();

    const res = await reprocess(id, bearer(admin));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    // The real queue consumer picks the message up.
    await vi.waitFor(async () => expect((await leadRow(id))!.processr_status).toBe(1000), { timeout: 15_000, interval: 100 });

    expect(await leadRow(id)).toMatchObject({ flag: "Caution", qa_result: "Caution", score: 85, max_score: 100, processing_counter: 2 });
    const results = await rows<{ campaign_processr_job_id: number; status: string }>(
      `SELECT campaign_processr_job_id, status FROM processr_job_leads WHERE lead_id = ?1 ORDER BY 1`, id,
    );
    expect(results.filter((r) => r.status === "failed").map((r) => r.campaign_processr_job_id)).toEqual([9003]);
    expect(results).toHaveLength(5);
    const notes = await rows<{ author: string; from_flag: string | null; to_flag: string | null; note: string }>(
      `SELECT author, from_flag, to_flag, note FROM lead_notes WHERE lead_id = ?1 ORDER BY id`, id,
    );
    expect(notes.map((n) => [n.author, n.from_flag, n.to_flag])).toEqual([
      ["processr", null, "Valid"],
      ["admin@acme.test", null, null],
      ["processr", "Valid", "Caution"],
    ]);
    expect(notes[1]!.note).toBe("Reprocessing requested by admin@acme.test.");
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("keeps the flag and adds no note when the outcome is the same", async () => {
    const id = await insertLead();
    await processLeads(id);
    expect((await reprocess(id, bearer(admin))).status).toBe(202);
    await vi.waitFor(async () => expect((await leadRow(id))!.processr_status).toBe(1000), { timeout: 15_000, interval: 100 });
    const notes = await rows<{ to_flag: string | null }>(`SELECT to_flag FROM lead_notes WHERE lead_id = ?1 ORDER BY id`, id);
    expect(notes.map((n) => n.to_flag)).toEqual(["Valid", null]);
    expect(await rows(`SELECT id FROM lead_events WHERE lead_id = ?1`, id)).toHaveLength(1);
  });

  it("reruns a lead whose processing failed", async () => {
    const id = await insertLead();
    await env.DB.prepare(`UPDATE leads SET processr_status = 900 WHERE id = ?1`).bind(id).run();
    await env.DB.prepare(`UPDATE campaign_statistics SET processing_leads = processing_leads - 1 WHERE campaign_id = 601`).run();
    expect((await reprocess(id, bearer(admin))).status).toBe(202);
    await vi.waitFor(async () => expect((await leadRow(id))!.processr_status).toBe(1000), { timeout: 15_000, interval: 100 });
    expect((await leadRow(id))!.flag).toBe("Valid");
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("requires authentication", async () => {
    const id = await insertLead();
    await hydraError(401, "Authentication required.")(await reprocess(id));
    expect((await leadRow(id))!.processing_counter).toBe(0);
  });

  it("is for admins only", async () => {
    const id = await insertLead();
    await hydraError(403, "Access denied.")(await reprocess(id, bearer(publisher)));
    expect((await leadRow(id))!.processr_status).toBe(0);
  });

  it("answers 404 for an unknown or deleted lead", async () => {
    await hydraError(404, "Not Found")(await reprocess(99_999_999, bearer(admin)));
    await hydraError(404, "Not Found")(await reprocess("99999999999999999999", bearer(admin)));
    const id = await insertLead();
    await processLeads(id);
    await transitionLead(env, { leadId: id, to: "Deleted", source: "delete", author: "admin@acme.test" });
    await hydraError(404, "Not Found")(await reprocess(id, bearer(admin)));
    expect(await rows(`SELECT id FROM processr_job_leads WHERE lead_id = ?1`, id)).toHaveLength(5);
  });
});
