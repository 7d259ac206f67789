import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, DEMO, loginAs } from "../helpers";
import { captureAndProcess, formBody, leadsPath, testCampaignStatements } from "../publisher/support";
import { type Doc, get, send } from "../v4/fixtures";

// Job groups, black-box: groups and their jobs are set up through /api/v4, leads are captured
// through the publisher API and processed through the Worker's queue handler, and the outcome is
// read back from /api/v4/leads and /api/v4/processr-job-leads.
//
// Each test campaign has campaign 601's five QA jobs (scores 40 hardfail, 30, 15, 10, 5: 100 in
// all; its form does not require lastName, so that the hardfail Required Value Check can fail)
// and a group "Phone by country" (score 20) of two phone checks whose own scores (50) must never
// count: the UK one for country UK or GB, the French one for FR.

let admin: Record<string, string>;
let north: Record<string, string>;
let agency: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
  north = bearer(await loginAs(DEMO.northwind));
  agency = bearer(await loginAs(DEMO.agencyPartners));
});

let nextEmail = 0;

interface Setup {
  campaign: number;
  form: number;
  group: number;
  uk: number;
  fr: number;
  ukMember: number;
  frMember: number;
}

const v4 = (path: string, id: number) => `/api/v4/${path}/${id}`;

async function created(path: string, body: Record<string, unknown>): Promise<Doc> {
  const res = await send(`/api/v4/${path}`, "POST", body, admin);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const phoneCheck = (campaign: number, label: string, prefix: string, position: number) =>
  created("campaign-processr-jobs", {
    campaign: v4("campaigns", campaign),
    type: "simple_conditional_validation",
    label,
    score: 50,
    position,
    config: { field: "phone", operator: "STARTSWITH", values: [prefix] },
  });

async function makeCampaign(): Promise<Setup> {
  // After every existing id: campaign duplication takes the next ids too.
  const next = (await env.DB.prepare(
    `SELECT (SELECT coalesce(max(id), 0) + 1 FROM campaigns) AS campaign, (SELECT coalesce(max(id), 0) + 1 FROM forms) AS form`,
  ).first<{ campaign: number; form: number }>())!;
  const { campaign, form } = next;
  await env.DB.batch([
    ...testCampaignStatements(campaign, form, "Groups", [
      ["firstName", "text", true], ["lastName", "text", false], ["email", "email", true],
      ["country", "text", false], ["phone", "text", false], ["submit", "submit", false],
    ]),
    env.DB.prepare(
      `INSERT INTO campaign_processr_jobs (campaign_id, type, label, score, hardfail, position, config)
       SELECT ?1, type, label, score, hardfail, position, config FROM campaign_processr_jobs WHERE campaign_id = 601`,
    ).bind(campaign),
  ]);
  const uk = (await phoneCheck(campaign, "UK phone", "+44", 10)).id as number;
  const fr = (await phoneCheck(campaign, "French phone", "+33", 11)).id as number;
  const group = (await created("campaign-processr-job-groups", { campaign: v4("campaigns", campaign), name: "Phone by country", score: 20 })).id as number;
  const ukMember = (await created("campaign-processr-job-group-jobs", {
    campaignProcessrJobGroup: v4("campaign-processr-job-groups", group),
    campaignProcessrJob: v4("campaign-processr-jobs", uk),
    position: 0,
    conditions: [{ field: "country", values: "UK;GB" }],
  })).id as number;
  const frMember = (await created("campaign-processr-job-group-jobs", {
    campaignProcessrJobGroup: v4("campaign-processr-job-groups", group),
    campaignProcessrJob: v4("campaign-processr-jobs", fr),
    position: 1,
    conditions: [{ field: "country", values: ["FR"] }],
  })).id as number;
  return { campaign, form, group, uk, fr, ukMember, frMember };
}

/** Captures one lead through the publisher API and processes it; returns its id. */
const processLead = (s: Setup, fields: Record<string, string>) =>
  captureAndProcess(leadsPath(12, s.form, s.campaign), formBody({ firstName: "Ada", lastName: "Lovelace", email: `group.${++nextEmail}@example.org`, ...fields }), {
    headers: north,
  });

/** The lead's verdict and each job's result, by job id, as the v4 API shows them to an admin. */
async function outcome(leadId: number) {
  const lead = (await get(v4("leads", leadId), admin)).body;
  const results = (await get(`/api/v4/processr-job-leads?lead.id=${leadId}&itemsPerPage=100`, admin)).body["hydra:member"] as Doc[];
  const byJob = new Map(results.map((r) => [Number(String(r.campaignProcessrJob).split("/").pop()), r]));
  return { flag: lead.leadFlag?.name as string, score: lead.score as number, maxScore: lead.maxScore as number, hardfail: lead.hardfail as boolean, byJob };
}

/** Rows of both group tables, to show that a refused write changed nothing. */
const groupTables = async () =>
  JSON.stringify([
    (await env.DB.prepare(`SELECT * FROM campaign_processr_job_groups ORDER BY id`).all()).results,
    (await env.DB.prepare(`SELECT * FROM campaign_processr_job_group_jobs ORDER BY id`).all()).results,
  ]);

describe("a job group on a lead", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await makeCampaign();
  });

  it("runs only the member whose conditions the lead meets, and counts the group's score once", async () => {
    const lead = await processLead(s, { country: "gb", phone: "+44 20 7946 0000" });
    const o = await outcome(lead);
    expect(o).toMatchObject({ flag: "Valid", score: 120, maxScore: 120, hardfail: false });
    expect(o.byJob.get(s.uk)).toMatchObject({ status: "passed", score: 20 });
    expect(o.byJob.get(s.fr)).toMatchObject({
      status: "not_run",
      score: 0,
      message: 'Not run: job group "Phone by country" chose "UK phone" for this lead (the first of its jobs whose conditions the lead meets).',
    });
  });

  it("picks the other member for another country (values compared without case)", async () => {
    const lead = await processLead(s, { country: " fr ", phone: "+33 1 23 45 67 89" });
    const o = await outcome(lead);
    expect(o).toMatchObject({ flag: "Valid", score: 120, maxScore: 120 });
    expect(o.byJob.get(s.fr)).toMatchObject({ status: "passed", score: 20 });
    expect(o.byJob.get(s.uk)!.status).toBe("not_run");
  });

  it("scores a failed member as the group: 100 of 120 is Caution", async () => {
    const lead = await processLead(s, { country: "UK", phone: "+33 1 23 45 67 89" });
    const o = await outcome(lead);
    expect(o).toMatchObject({ flag: "Caution", score: 100, maxScore: 120, hardfail: false });
    expect(o.byJob.get(s.uk)).toMatchObject({ status: "failed", score: 0 });
  });

  it("leaves the group out of maxScore when no member matches, and says why for each", async () => {
    const lead = await processLead(s, { country: "DE", phone: "+49 30 123456" });
    const o = await outcome(lead);
    expect(o).toMatchObject({ flag: "Valid", score: 100, maxScore: 100 });
    expect(o.byJob.get(s.uk)).toMatchObject({
      status: "not_run",
      message: 'Not run: the lead meets the conditions of none of the jobs in job group "Phone by country" (this job\'s: "country" is "DE", not one of "UK", "GB").',
    });
    expect(o.byJob.get(s.fr)).toMatchObject({
      status: "not_run",
      message: 'Not run: the lead meets the conditions of none of the jobs in job group "Phone by country" (this job\'s: "country" is "DE", not "FR").',
    });
    // A lead without the field meets no condition either.
    const none = await outcome(await processLead(s, {}));
    expect(none).toMatchObject({ flag: "Valid", score: 100, maxScore: 100 });
    expect(none.byJob.get(s.uk)!.message).toContain('"country" is empty');
  });

  it("shows the membership on the campaign job (campaignProcessrJobGroupJob) and the members on the group", async () => {
    const job = (await get(v4("campaign-processr-jobs", s.uk), admin)).body;
    expect(job.campaignProcessrJobGroupJob).toEqual([{
      "@id": v4("campaign-processr-job-group-jobs", s.ukMember),
      "@type": "CampaignProcessrJobGroupJob",
      campaignProcessrJobGroup: { "@id": v4("campaign-processr-job-groups", s.group), "@type": "CampaignProcessrJobGroup", name: "Phone by country", score: 20 },
      position: 0,
      conditions: [{ field: "country", values: ["UK", "GB"] }],
    }]);
    const lone = (await get(`/api/v4/campaign-processr-jobs?campaign.id=${s.campaign}&type=required_value_check`, admin)).body["hydra:member"][0];
    expect(lone.campaignProcessrJobGroupJob).toEqual([]);
    // The campaign's highest score: 100 of its own jobs and the group's 20 once (not the members' 50 + 50).
    expect((await get(v4("campaigns", s.campaign), admin)).body.combinedJobScore).toBe(120);
    const group = (await get(v4("campaign-processr-job-groups", s.group), admin)).body;
    expect(group).toMatchObject({
      "@type": "CampaignProcessrJobGroup",
      campaign: v4("campaigns", s.campaign),
      name: "Phone by country",
      score: 20,
      campaignProcessrJobGroupJobs: [v4("campaign-processr-job-group-jobs", s.ukMember), v4("campaign-processr-job-group-jobs", s.frMember)],
    });
  });
});

describe("a disabled job in a group", () => {
  it("is never chosen: the lead meets no other job's conditions, so the group is left out", async () => {
    const s = await makeCampaign();
    expect((await send(v4("campaign-processr-jobs", s.uk), "PUT", { enabled: false }, admin)).status).toBe(200);
    const o = await outcome(await processLead(s, { country: "GB", phone: "+44 20 7946 0000" }));
    expect(o).toMatchObject({ flag: "Valid", score: 100, maxScore: 100 });
    expect(o.byJob.get(s.uk)).toMatchObject({ status: "not_run", message: "The job is disabled." });
    expect(o.byJob.get(s.fr)!.message).toContain('"country" is "GB", not "FR"');
  });
});

describe("hardfail inside a group", () => {
  it("applies the running member's own hardfail, and only when it is the member that runs", async () => {
    const s = await makeCampaign();
    expect((await send(v4("campaign-processr-jobs", s.uk), "PUT", { hardfail: true }, admin)).status).toBe(200);
    // Another job after the group's, to show the stop.
    const after = (await created("campaign-processr-jobs", {
      campaign: v4("campaigns", s.campaign), type: "field_not_empty", label: "Phone given", score: 5, position: 20, config: { field: "phone" },
    })).id as number;

    const failed = await outcome(await processLead(s, { country: "UK", phone: "+33 1 23 45 67 89" }));
    expect(failed).toMatchObject({ flag: "Invalid", hardfail: true, score: 100, maxScore: 120 });
    expect(failed.byJob.get(after)).toMatchObject({ status: "not_run", message: 'Not run: the hardfail job "UK phone" failed.' });

    // A French lead does not run the UK check, so its hardfail cannot apply.
    const french = await outcome(await processLead(s, { country: "FR", phone: "+33 1 23 45 67 89" }));
    expect(french).toMatchObject({ flag: "Valid", hardfail: false, score: 125, maxScore: 125 });
  });

  it("records every member as not run after an earlier hardfail job failed", async () => {
    const s = await makeCampaign();
    const lead = await processLead(s, { lastName: "", country: "UK", phone: "+44 20 7946 0000" });
    const o = await outcome(lead);
    expect(o).toMatchObject({ flag: "Invalid", hardfail: true });
    expect(o.byJob.get(s.uk)).toMatchObject({ status: "not_run", message: 'Not run: the hardfail job "Required Value Check" failed.' });
    expect(o.byJob.get(s.fr)!.status).toBe("not_run");
  });
});

describe("a group edited and reused", () => {
  it("follows its new score, positions, conditions and members", async () => {
    const s = await makeCampaign();
    // A fallback member without conditions, tried after the UK check.
    const any = (await phoneCheck(s.campaign, "Any phone", "+", 12)).id as number;
    const anyMember = (await created("campaign-processr-job-group-jobs", {
      campaignProcessrJobGroup: v4("campaign-processr-job-groups", s.group), campaignProcessrJob: v4("campaign-processr-jobs", any), position: 5,
    })).id as number;
    expect((await send(v4("campaign-processr-job-groups", s.group), "PUT", { score: 40 }, admin)).status).toBe(200);

    const uk = await outcome(await processLead(s, { country: "UK", phone: "+44 20 7946 0000" }));
    expect(uk).toMatchObject({ flag: "Valid", score: 140, maxScore: 140 });
    expect(uk.byJob.get(s.uk)!.status).toBe("passed");
    expect(uk.byJob.get(any)!.message).toContain('chose "UK phone"');
    const de = await outcome(await processLead(s, { country: "DE", phone: "+49 30 123456" }));
    expect(de).toMatchObject({ score: 140, maxScore: 140 });
    expect(de.byJob.get(any)!.status).toBe("passed");

    // The fallback first: it now runs for UK leads too.
    expect((await send(v4("campaign-processr-job-group-jobs", anyMember), "PUT", { position: 0 }, admin)).status).toBe(200);
    expect((await send(v4("campaign-processr-job-group-jobs", s.ukMember), "PUT", { position: 9 }, admin)).status).toBe(200);
    const first = await outcome(await processLead(s, { country: "UK", phone: "+44 20 7946 0000" }));
    expect(first.byJob.get(any)!.status).toBe("passed");
    expect(first.byJob.get(s.uk)!.message).toContain('chose "Any phone"');

    // Out of the group, the fallback is an ordinary job again (its own 50); new conditions apply.
    expect((await send(v4("campaign-processr-job-group-jobs", anyMember), "DELETE", undefined, admin)).status).toBe(204);
    expect((await send(v4("campaign-processr-job-group-jobs", s.frMember), "PUT", { conditions: [{ field: "country", values: "DE" }] }, admin)).status).toBe(200);
    const again = await outcome(await processLead(s, { country: "DE", phone: "+49 30 123456" }));
    expect(again).toMatchObject({ flag: "Invalid", hardfail: false, score: 150, maxScore: 190 });
    expect(again.byJob.get(any)).toMatchObject({ status: "passed", score: 50 });
    expect(again.byJob.get(s.fr)).toMatchObject({ status: "failed", score: 0 });
  });

  it("deleting a group takes its jobs out of it: they run and score as ordinary jobs", async () => {
    const s = await makeCampaign();
    expect((await send(v4("campaign-processr-job-groups", s.group), "DELETE", undefined, admin)).status).toBe(204);
    expect((await get(v4("campaign-processr-job-group-jobs", s.ukMember), admin)).status).toBe(404);
    expect((await get(v4("campaign-processr-jobs", s.uk), admin)).body.campaignProcessrJobGroupJob).toEqual([]);
    const o = await outcome(await processLead(s, { country: "UK", phone: "+44 20 7946 0000" }));
    expect(o).toMatchObject({ flag: "Invalid", hardfail: false, score: 150, maxScore: 200 });
  });

  it("deleting a member job takes it out of its group", async () => {
    const s = await makeCampaign();
    expect((await send(v4("campaign-processr-jobs", s.fr), "DELETE", undefined, admin)).status).toBe(204);
    expect((await get(v4("campaign-processr-job-group-jobs", s.frMember), admin)).status).toBe(404);
    expect((await get(v4("campaign-processr-job-groups", s.group), admin)).body.campaignProcessrJobGroupJobs).toEqual([
      v4("campaign-processr-job-group-jobs", s.ukMember),
    ]);
  });
});

describe("a duplicated campaign", () => {
  it("keeps its job groups on the copy's own jobs, and scores leads the same way", async () => {
    const s = await makeCampaign();
    const dup = await send(`${v4("campaigns", s.campaign)}/duplicate`, "POST", { includePublishers: true }, admin);
    expect(dup.status).toBe(201);
    const copy = dup.body.id as number;
    const groups = (await get(`/api/v4/campaign-processr-job-groups?campaign.id=${copy}`, admin)).body["hydra:member"] as Doc[];
    expect(groups).toMatchObject([{ name: "Phone by country", score: 20 }]);
    expect(groups[0]!["@id"]).not.toBe(v4("campaign-processr-job-groups", s.group));
    const jobs = (await get(`/api/v4/campaign-processr-jobs?campaign.id=${copy}&itemsPerPage=100`, admin)).body["hydra:member"] as Doc[];
    const byLabel = new Map(jobs.map((j) => [j.label as string, j]));
    expect(byLabel.get("UK phone")!.campaignProcessrJobGroupJob).toMatchObject([
      { campaignProcessrJobGroup: { "@id": groups[0]!["@id"] }, position: 0, conditions: [{ field: "country", values: ["UK", "GB"] }] },
    ]);
    expect(byLabel.get("French phone")!.campaignProcessrJobGroupJob).toMatchObject([{ position: 1, conditions: [{ field: "country", values: ["FR"] }] }]);
    // The source keeps its own.
    expect((await get(v4("campaign-processr-jobs", s.uk), admin)).body.campaignProcessrJobGroupJob[0]["@id"]).toBe(v4("campaign-processr-job-group-jobs", s.ukMember));

    const form = (await get(`/api/v4/forms?campaign.id=${copy}`, admin)).body["hydra:member"][0].id as number;
    const o = await outcome(await processLead({ ...s, campaign: copy, form }, { country: "UK", phone: "+44 20 7946 0000" }));
    expect(o).toMatchObject({ flag: "Valid", score: 120, maxScore: 120 });
    expect(o.byJob.get(byLabel.get("French phone")!.id as number)!.status).toBe("not_run");
  });
});

describe("refused group writes change nothing", () => {
  let s: Setup;
  let other: Setup;
  beforeAll(async () => {
    s = await makeCampaign();
    other = await makeCampaign();
  });

  const cases: [string, () => [string, string, unknown], string[]][] = [
    ["a group without a score", () => ["/api/v4/campaign-processr-job-groups", "POST", { campaign: v4("campaigns", s.campaign), name: "No score" }], ["score"]],
    ["a group with an empty name", () => ["/api/v4/campaign-processr-job-groups", "POST", { campaign: v4("campaigns", s.campaign), name: " ", score: 5 }], ["name"]],
    ["a group on an unknown campaign", () => ["/api/v4/campaign-processr-job-groups", "POST", { campaign: v4("campaigns", 999999), name: "X", score: 5 }], ["campaign"]],
    ["a group moved to another campaign", () => [v4("campaign-processr-job-groups", s.group), "PUT", { campaign: v4("campaigns", other.campaign) }], ["campaign"]],
    ["a negative score", () => [v4("campaign-processr-job-groups", s.group), "PUT", { score: -1 }], ["score"]],
    [
      "a job of another campaign",
      () => ["/api/v4/campaign-processr-job-group-jobs", "POST", { campaignProcessrJobGroup: v4("campaign-processr-job-groups", s.group), campaignProcessrJob: v4("campaign-processr-jobs", other.uk) }],
      ["campaignProcessrJob"],
    ],
    [
      "a job already in a group",
      () => ["/api/v4/campaign-processr-job-group-jobs", "POST", { campaignProcessrJobGroup: v4("campaign-processr-job-groups", s.group), campaignProcessrJob: v4("campaign-processr-jobs", s.uk) }],
      ["campaignProcessrJob"],
    ],
    [
      "a member moved to a job already in the group",
      () => [v4("campaign-processr-job-group-jobs", s.frMember), "PUT", { campaignProcessrJob: v4("campaign-processr-jobs", s.uk) }],
      ["campaignProcessrJob"],
    ],
    [
      "an unknown group",
      () => ["/api/v4/campaign-processr-job-group-jobs", "POST", { campaignProcessrJobGroup: v4("campaign-processr-job-groups", 999999), campaignProcessrJob: v4("campaign-processr-jobs", s.uk) }],
      ["campaignProcessrJobGroup", "campaignProcessrJob"],
    ],
    ["a condition without values", () => [v4("campaign-processr-job-group-jobs", s.ukMember), "PUT", { conditions: [{ field: "country", values: " ; " }] }], ["conditions.0.values"]],
    ["a condition without a field", () => [v4("campaign-processr-job-group-jobs", s.ukMember), "PUT", { conditions: [{ values: ["UK"] }] }], ["conditions.0.field"]],
    ["an unknown property", () => [v4("campaign-processr-job-group-jobs", s.ukMember), "PUT", { hardfail: true }], [""]],
  ];
  for (const [what, request, paths] of cases) {
    it(`${what}: 422 naming ${paths.join(", ") || "the body"}`, async () => {
      const before = await groupTables();
      const [path, method, body] = request();
      const res = await send(path, method, body, admin);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body["@type"]).toBe("ConstraintViolationList");
      expect([...new Set((res.body.violations as Doc[]).map((v) => v.propertyPath))].sort()).toEqual([...paths].sort());
      expect(await groupTables()).toBe(before);
    });
  }

  it("an integration job cannot join a group", async () => {
    const job = await env.DB.prepare(
      `INSERT INTO campaign_processr_jobs (campaign_id, type, label, config) VALUES (?1, 'http_integration', 'CRM', '{}') RETURNING id`,
    ).bind(s.campaign).first<{ id: number }>();
    const before = await groupTables();
    const res = await send("/api/v4/campaign-processr-job-group-jobs", "POST", {
      campaignProcessrJobGroup: v4("campaign-processr-job-groups", s.group), campaignProcessrJob: v4("campaign-processr-jobs", job!.id),
    }, admin);
    expect(res.status).toBe(422);
    expect(res.body.violations).toEqual([{ propertyPath: "campaignProcessrJob", message: expect.stringContaining("only QA jobs") }]);
    expect(await groupTables()).toBe(before);
  });
});

describe("what publishers see of groups", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await makeCampaign();
  });

  it("a publisher on the campaign sees that groups exist, never their names, scores or conditions", async () => {
    const group = await get(v4("campaign-processr-job-groups", s.group), north);
    expect(group.status).toBe(200);
    expect(group.body).not.toHaveProperty("name");
    expect(group.body).not.toHaveProperty("score");
    const member = await get(v4("campaign-processr-job-group-jobs", s.ukMember), north);
    expect(member.status).toBe(200);
    expect(member.body).not.toHaveProperty("conditions");
    const job = (await get(v4("campaign-processr-jobs", s.uk), north)).body;
    expect(job.campaignProcessrJobGroupJob).toEqual([{
      "@id": v4("campaign-processr-job-group-jobs", s.ukMember),
      "@type": "CampaignProcessrJobGroupJob",
      campaignProcessrJobGroup: { "@id": v4("campaign-processr-job-groups", s.group), "@type": "CampaignProcessrJobGroup" },
      position: 0,
    }]);
    const text = JSON.stringify((await get(`/api/v4/campaign-processr-job-groups?campaign.id=${s.campaign}`, north)).body);
    expect(text).not.toContain("Phone by country");
  });

  it("a publisher not on the campaign sees nothing, and no publisher writes", async () => {
    expect((await get(v4("campaign-processr-job-groups", s.group), agency)).status).toBe(404);
    expect((await get(v4("campaign-processr-job-group-jobs", s.ukMember), agency)).status).toBe(404);
    expect((await get(`/api/v4/campaign-processr-job-groups?campaign.id=${s.campaign}`, agency)).body["hydra:totalItems"]).toBe(0);
    const before = await groupTables();
    expect((await send(v4("campaign-processr-job-groups", s.group), "PUT", { score: 99 }, north)).status).toBe(403);
    expect((await send("/api/v4/campaign-processr-job-groups", "POST", { campaign: v4("campaigns", s.campaign), name: "Mine", score: 1 }, north)).status).toBe(403);
    expect((await send(v4("campaign-processr-job-group-jobs", s.ukMember), "DELETE", undefined, north)).status).toBe(403);
    expect(await groupTables()).toBe(before);
  });
});
