import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, DEMO, loginAs } from "../helpers";
import { captureAndProcess, formBody, leadsPath, testCampaignStatements } from "../publisher/support";
import { type Doc, get, send } from "../v4/fixtures";

// The platform lead data (emailDomain, createdDate, country, ip, userAgent) in the Processr,
// black-box: a job group conditioned on `country`, Transforms keyed on `country` and `emailDomain`,
// a Manipulation of `emailDomain` and the Value Transforms job (Convertr's 1090) are set up
// through /api/v4; leads are captured through the publisher API with Cloudflare's `cf`, processed
// by the queue handler, and read back through /api/v4. The form captures no country unless a test
// says so, so each rule can only have seen the platform value.

let admin: Record<string, string>;
let north: Record<string, string>;
const v4 = (path: string, id: number) => `/api/v4/${path}/${id}`;

async function created(path: string, body: Record<string, unknown>): Promise<Doc> {
  const res = await send(`/api/v4/${path}`, "POST", body, admin);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const ADVERTISER = "/api/v4/advertisers/319";
let campaign: number;
let form: number;
const job: Record<string, number> = {};
const rule: Record<string, Doc> = {};

const check = (label: string, config: Record<string, unknown>, position: number, score = 10) =>
  created("campaign-processr-jobs", { campaign: v4("campaigns", campaign), type: "simple_conditional_validation", label, score, position, config });

beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
  north = bearer(await loginAs(DEMO.northwind));
  const next = (await env.DB.prepare(
    `SELECT (SELECT coalesce(max(id), 0) + 1 FROM campaigns) AS campaign, (SELECT coalesce(max(id), 0) + 1 FROM forms) AS form`,
  ).first<{ campaign: number; form: number }>())!;
  ({ campaign, form } = next);
  await env.DB.batch(testCampaignStatements(campaign, form, "Platform values", [
    ["firstName", "text", true], ["email", "email", true], ["phone", "text", false], ["country", "text", false],
  ]));
  expect((await send(v4("campaigns", campaign), "PUT", { useValueTransforms: true }, admin)).status).toBe(200);

  rule.market = await created("advertiser-value-transforms", {
    advertiser: ADVERTISER, label: "Markets", type: "Transform", originalFieldName: "country", newFieldName: "market", position: 1,
  });
  rule.tier = await created("advertiser-value-transforms", {
    advertiser: ADVERTISER, label: "Partner domains", type: "Transform", originalFieldName: "emailDomain", newFieldName: "domainTier", position: 2,
  });
  rule.upper = await created("advertiser-value-transforms", {
    advertiser: ADVERTISER, label: "Domain upper", type: "Manipulation", originalFieldName: "emailDomain", newFieldName: "domainUpper", position: 3,
    manipulation: { operation: "case", case: "upper" },
  });
  for (const [r, csv] of [
    [rule.market!, "originalValue,newValue\r\nUnited Kingdom,EMEA\r\nFrance,EMEA\r\nUnited States,AMER\r\n"],
    [rule.tier!, "originalValue,newValue\r\n@Example.org,partner\r\n"],
  ] as const) {
    expect((await send("/api/v4/advertiser-value-transform-imports", "POST", { advertiserValueTransform: r["@id"], csv }, admin)).status).toBe(201);
  }

  job.uk = (await check("UK phone", { field: "phone", operator: "STARTSWITH", values: ["+44"] }, 0, 50)).id;
  job.fr = (await check("French phone", { field: "phone", operator: "STARTSWITH", values: ["+33"] }, 1, 50)).id;
  const group = await created("campaign-processr-job-groups", { campaign: v4("campaigns", campaign), name: "Phone by country", score: 20 });
  for (const [position, member, values] of [[0, job.uk!, "United Kingdom"], [1, job.fr!, "France"]] as const) {
    await created("campaign-processr-job-group-jobs", {
      campaignProcessrJobGroup: group["@id"], campaignProcessrJob: v4("campaign-processr-jobs", member), position, conditions: [{ field: "country", values }],
    });
  }
  job.market = (await check("Market known", { field: "market", operator: "EQUAL", values: ["EMEA", "AMER"] }, 2)).id;
  job.tier = (await check("Partner domain", { field: "domainTier", operator: "EQUAL", values: ["partner"] }, 3)).id;
  job.transforms = (await created("campaign-processr-jobs", {
    campaign: v4("campaigns", campaign), type: "value_transforms", label: "Mapped values", score: 10, position: 4,
    config: { transforms: [rule.market!["@id"], rule.tier!.id] },
  })).id;
  // Scans every captured field: it must not scan the user agent's slashes.
  job.characters = (await created("campaign-processr-jobs", {
    campaign: v4("campaigns", campaign), type: "non_standard_character_check", label: "Characters", score: 10, position: 5, config: {},
  })).id;
});

let nextEmail = 0;

/** Captures one lead through the publisher API with Cloudflare's cf and processes it; returns its id. */
const processLead = (fields: Record<string, string>, cf: Record<string, unknown>, domain = "example.org") =>
  captureAndProcess(leadsPath(12, form, campaign), formBody({ firstName: "Ada", email: `platform.${++nextEmail}@${domain}`, ...fields }), {
    headers: { "User-Agent": "agent/1/2/3/4/5", ...north },
    cf,
  });

/** Each job's result by job id, and the lead's value-transform data, as the v4 API shows them to an admin. */
async function outcome(leadId: number) {
  const lead = (await get(v4("leads", leadId), admin)).body;
  const results = (await get(`/api/v4/processr-job-leads?lead.id=${leadId}&itemsPerPage=100`, admin)).body["hydra:member"] as Doc[];
  const status = Object.fromEntries(
    Object.entries(job).map(([name, id]) => [name, results.find((r) => String(r.campaignProcessrJob).endsWith(`/${id}`))?.status as string]),
  );
  const data = (await get(`/api/v4/lead-datas?lead.id=${leadId}&itemsPerPage=100`, admin)).body["hydra:member"] as Doc[];
  const transformed = Object.fromEntries(data.filter((d) => d.type === "value.transform").map((d) => [d.name, d.value]));
  const message = (name: string) => results.find((r) => String(r.campaignProcessrJob).endsWith(`/${job[name]}`))?.message as string;
  return { flag: lead.leadFlag?.name as string, score: lead.score, maxScore: lead.maxScore, status, transformed, message, lead };
}

describe("platform lead data in the Processr", () => {
  it("a group's country condition, Transforms keyed on country and emailDomain and a Manipulation read the platform values", async () => {
    const id = await processLead({ phone: "+44 20 7946 0000" }, { country: "GB" });
    const o = await outcome(id);
    expect(o.status).toEqual({ uk: "passed", fr: "not_run", market: "passed", tier: "passed", transforms: "passed", characters: "passed" });
    expect(o.transformed).toEqual({ market: "EMEA", domainTier: "partner", domainUpper: "@EXAMPLE.ORG" });
    expect(o).toMatchObject({ flag: "Valid", score: 60, maxScore: 60 });
    // Still computed on read, not stored: the lead's stored data are the captured values and the rules' results.
    const stored = await env.DB.prepare(`SELECT name FROM lead_datas WHERE lead_id = ?1 AND name IN ('country', 'emailDomain', 'userAgent', 'ip', 'createdDate')`)
      .bind(id)
      .all();
    expect(stored.results).toEqual([]);
  });

  it("a captured value of the same name wins over the platform value, as on read", async () => {
    const id = await processLead({ phone: "+33 1 23 45 67 89", country: "France" }, { country: "GB" });
    const o = await outcome(id);
    expect(o.status).toMatchObject({ uk: "not_run", fr: "passed", market: "passed" });
    expect(o.lead.leadData.filter((d: Doc) => d.name === "country").map((d: Doc) => d.value)).toEqual(["France"]);
  });

  it("a value in no table fails the Value Transforms job, naming each field and value; the group is left out", async () => {
    const id = await processLead({ phone: "+49 30 123456" }, { country: "DE" }, "other.net");
    const o = await outcome(id);
    expect(o.status).toEqual({ uk: "not_run", fr: "not_run", market: "failed", tier: "failed", transforms: "failed", characters: "passed" });
    expect(o.transformed).toEqual({ domainUpper: "@OTHER.NET" });
    expect(o.message("transforms")).toBe(
      '"country" value "Germany" matches no value transform ("Markets"); "emailDomain" value "@other.net" matches no value transform ("Partner domains")',
    );
    expect(o).toMatchObject({ score: 10, maxScore: 40 });
  });

  it("an unknown country is an empty value: it matches nothing", async () => {
    const id = await processLead({ phone: "+44 20 7946 0000" }, { country: "XX" });
    const o = await outcome(id);
    expect(o.status).toMatchObject({ uk: "not_run", fr: "not_run", market: "failed", tier: "passed", transforms: "failed" });
    expect(o.message("transforms")).toBe('"country" is empty');
  });
});

describe("the Value Transforms job's configuration", () => {
  const save = (config: unknown) =>
    send("/api/v4/campaign-processr-jobs", "POST", { campaign: v4("campaigns", campaign), type: "value_transforms", label: "VT", score: 5, config }, admin);
  const jobCount = async () =>
    (await env.DB.prepare(`SELECT count(*) AS n FROM campaign_processr_jobs WHERE campaign_id = ?1`).bind(campaign).first<{ n: number }>())!.n;

  it("is refused at save with a 422 naming the property when not configured, or naming an unknown rule or a Manipulation", async () => {
    const before = await jobCount();
    for (const [config, propertyPath, message] of [
      [{}, "config.transforms", undefined],
      [{ transforms: [] }, "config.transforms", undefined],
      [{ transforms: ["/api/v4/advertiser-value-transforms/999999"] }, "config.transforms.0", 'Item not found for "/api/v4/advertiser-value-transforms/999999".'],
      [{ transforms: [rule.market!.id, rule.upper!["@id"]] }, "config.transforms.1", `"${rule.upper!["@id"]}" is a Manipulation: only a Transform has a value table.`],
      [{ transforms: ["markets"] }, "config.transforms.0", undefined],
    ] as const) {
      const res = await save(config);
      expect(res.status, JSON.stringify(config)).toBe(422);
      const violation = (res.body.violations as Doc[]).find((v) => v.propertyPath === propertyPath);
      expect(violation, JSON.stringify(res.body)).toBeDefined();
      if (message) expect(violation!.message).toBe(message);
    }
    expect(await jobCount()).toBe(before);
  });

  it("fails a lead on which a configured Transform did not run (the campaign stopped using value transforms)", async () => {
    expect((await send(v4("campaigns", campaign), "PUT", { useValueTransforms: false }, admin)).status).toBe(200);
    try {
      const id = await processLead({ phone: "+44 20 7946 0000" }, { country: "GB" });
      const o = await outcome(id);
      expect(o.status).toMatchObject({ uk: "passed", transforms: "failed" });
      expect(o.message("transforms")).toBe(
        `the value transform ${rule.market!["@id"]} did not run on this lead; the value transform ${rule.tier!["@id"]} did not run on this lead`,
      );
    } finally {
      expect((await send(v4("campaigns", campaign), "PUT", { useValueTransforms: true }, admin)).status).toBe(200);
    }
  });
});
