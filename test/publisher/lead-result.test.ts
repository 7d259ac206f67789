import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { callWithQueue, fakeQueue, formBody, KEYS, leadsPath, SIMPLE } from "./support";

// GET /api/v2.{1,4}/publisher/{publisher}/lead-result/{lead}. The Processr's writes (job results,
// flag, score) are made directly in D1 here, as the consumer would make them.
let northwind: string;
let agency: string;
let leadId: number;

beforeAll(async () => {
  [northwind, agency] = await Promise.all([loginAs(DEMO.northwind), loginAs(DEMO.agencyPartners)]);
  // A queue double keeps the real consumer from processing this lead under the test's feet.
  const res = await callWithQueue(fakeQueue(), leadsPath(12, 35, 601), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...bearer(northwind) },
    body: formBody({ ...SIMPLE, firstName: "Test" }),
  });
  leadId = ((await res.json()) as { data: number }).data;
});

const result = (path: string, headers: Record<string, string> = bearer(northwind)) => call(path, { headers });

describe("lead result", () => {
  it("a pending lead: its processr status and no QA outcome yet", async () => {
    const res = await result(`/api/v2.1/publisher/12/lead-result/${leadId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      leadId, campaignId: 601, publisherId: 12, formId: 35,
      processrStatus: 0, processrStatusName: "Received", complete: false,
      qaStatus: null, score: null, maxScore: null, hardfail: null, overAllocation: false,
      reasons: [], jobs: [],
      createdTs: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
      updatedTs: expect.stringMatching(/\+00:00$/),
    });
  });

  it("a complete lead: QA status, score out of the maximum, failed checks with their reasons", async () => {
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO processr_job_leads (lead_id, campaign_processr_job_id, status, message, score, started_ts, finished_ts) VALUES
          (?1, 9001, 'passed', '', 40, ?2, ?2), (?1, 9002, 'passed', '', 30, ?2, ?2),
          (?1, 9003, 'failed', 'firstName contains "test"', 0, ?2, ?2), (?1, 9004, 'passed', '', 10, ?2, ?2),
          (?1, 9005, 'passed', '', 5, ?2, ?2)`,
      ).bind(leadId, now),
      env.DB.prepare(
        "UPDATE leads SET processr_status = 1000, flag = 'Caution', qa_result = 'Caution', score = 85, max_score = 100 WHERE id = ?",
      ).bind(leadId),
    ]);
    const res = await result(`/api/v2.4/publisher/12/lead-result/${leadId}`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      processrStatus: 1000, processrStatusName: "Complete", complete: true,
      qaStatus: "Caution", score: 85, maxScore: 100, hardfail: false,
      reasons: [{ jobId: 9003, label: "Test Data Check", message: 'firstName contains "test"' }],
    });
    expect((body.jobs as { label: string; status: string }[]).map((j) => [j.label, j.status])).toEqual([
      ["Required Value Check", "passed"], ["Duplicate Email Check", "passed"], ["Test Data Check", "failed"],
      ["Repeated Character Check", "passed"], ["First and Last Name Check", "passed"],
    ]);
  });

  it("an API key of the lead's campaign and publisher may read it; an admin may read any", async () => {
    expect((await result(`/api/v2.4/publisher/12/lead-result/${leadId}`, { "X-Api-Key": KEYS.northwind601 })).status).toBe(200);
    const admin = await loginAs(DEMO.admin);
    expect((await result(`/api/v2.4/publisher/12/lead-result/${leadId}`, bearer(admin))).status).toBe(200);
  });

  it("404 for another publisher's lead, a lead of another campaign (API key), an unknown or deleted lead", async () => {
    const nf = { status: 404, body: { code: 404, message: "Not Found" } };
    const check = async (res: Response) => expect({ status: res.status, body: await res.json() }).toEqual(nf);
    await check(await result(`/api/v2.4/publisher/13/lead-result/${leadId}`, bearer(agency)));
    await check(await result(`/api/v2.4/publisher/12/lead-result/53001`, { "X-Api-Key": KEYS.northwind601 }));
    await check(await result(`/api/v2.4/publisher/12/lead-result/999999`));
    await env.DB.prepare("UPDATE leads SET deleted_ts = ? WHERE id = 53002").bind(Date.now()).run();
    await check(await result(`/api/v2.4/publisher/12/lead-result/53002`));
  });

  it("403 when reading as another publisher; 401 without a valid token", async () => {
    const res = await result(`/api/v2.4/publisher/12/lead-result/${leadId}`, bearer(agency));
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 403, body: { code: 403, message: "Access denied." } });
    const bad = await result(`/api/v2.4/publisher/12/lead-result/${leadId}`, bearer("x"));
    expect({ status: bad.status, body: await bad.json() }).toEqual({
      status: 401, body: { error: "invalid_grant", error_description: "The access token provided is invalid." },
    });
  });
});
