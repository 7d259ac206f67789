import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createListLookup } from "../../src/lists/lookup";
import type { ProcessrMessage } from "../../src/processr/messages";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { deliver, PROCESSR_QUEUE, rows } from "../leads/fixtures";
import { callWithQueue, fakeQueue, formBody, leadsPath, testCampaignStatements } from "../publisher/support";
import { lead, NOW, parseConfig, runJob } from "./jobs/helpers";
import { createJobContext } from "../../src/processr/job-context";
import { type Doc, send } from "../v4/fixtures";

// The Validation List Check: leads captured through the publisher API and processed through the
// queue handler fail (or hardfail) when their email, email domain or telephone is on a list; the
// publisher learns only that the check failed, admins which list matched.

let north: Record<string, string>;
let admin: Record<string, string>;
const list = { emails: 0, domains: 0, phones: 0 };

const post = (path: string, body: unknown) => send(`/api/v4/${path}`, "POST", body, admin);
async function newList(name: string, kind: string, values: string[]) {
  const res = await post("validation-lists", { name, kind });
  expect(res.status).toBe(201);
  for (const value of values) expect((await post("validation-list-entries", { validationList: res.body.id, value })).status).toBe(201);
  return res.body.id as number;
}

beforeAll(async () => {
  north = bearer(await loginAs(DEMO.northwind));
  admin = bearer(await loginAs(DEMO.admin));
  list.emails = await newList("Competitor staff 7c1d", "email", ["listed@rival-7c1d.example"]);
  list.domains = await newList("Blocked domains 7c1d", "domain", ["blocked.example"]);
  list.phones = await newList("Do not call 7c1d", "phone", ["+44 20 7946 0958"]);
});

let nextCampaign = 7900;

/** A campaign whose jobs are a validation_list_check (score 10) and a First/Last Name Check (score 90). */
async function makeCampaign(job: { hardfail: boolean; config: Record<string, unknown> }) {
  const id = ++nextCampaign;
  const formId = id * 10;
  await env.DB.batch(testCampaignStatements(id, formId, "Lists", [
    ["firstName", "text", true], ["lastName", "text", true], ["emailAddress", "email", true], ["telephone", "telephone", false],
  ]));
  for (const [type, label, score, hardfail, config] of [
    ["validation_list_check", "Suppression lists", 10, job.hardfail, job.config],
    ["first_last_name_check", "First and last name", 90, false, {}],
  ] as const) {
    const res = await post("campaign-processr-jobs", { campaign: id, type, label, score, hardfail, config });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  return { id, formId };
}

/** Captures the leads through the publisher API, then delivers their messages to the queue handler as one batch. */
async function captureAndProcess(c: { id: number; formId: number }, people: Record<string, string>[]) {
  const q = fakeQueue();
  const ids: number[] = [];
  for (const p of people) {
    const res = await callWithQueue(q, leadsPath(12, c.formId, c.id), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...north },
      body: formBody({ firstName: "Ada", lastName: "Lovelace", ...p }),
    });
    expect(res.status).toBe(201);
    ids.push(((await res.json()) as { data: number }).data);
  }
  await deliver(PROCESSR_QUEUE, q.sent as ProcessrMessage[]);
  return ids;
}

const outcome = async (ids: number[]) =>
  rows<{ flag: string; score: number; max_score: number; hardfail: number }>(
    `SELECT flag, score, max_score, hardfail FROM leads WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id`,
    JSON.stringify(ids),
  );

describe("validation_list_check on captured leads", () => {
  it("fails a lead whose email, email domain (or a subdomain of it) or telephone is listed, and passes the others", async () => {
    const c = await makeCampaign({ hardfail: false, config: {} });
    const ids = await captureAndProcess(c, [
      { emailAddress: " Listed@Rival-7c1d.example" },
      { emailAddress: "someone@mail.blocked.example" },
      { emailAddress: "fine@example.org", telephone: "020-7946-0958" },
      { emailAddress: "fine2@example.org", telephone: "+44 (20) 7946 0958" },
      { emailAddress: "fine3@example.org", telephone: "+44 20 7946 0000" },
    ]);
    // Failing the 10-point check leaves 90/100: Caution. National and international forms differ.
    expect(await outcome(ids)).toEqual([
      { flag: "Caution", score: 90, max_score: 100, hardfail: 0 },
      { flag: "Caution", score: 90, max_score: 100, hardfail: 0 },
      { flag: "Valid", score: 100, max_score: 100, hardfail: 0 },
      { flag: "Caution", score: 90, max_score: 100, hardfail: 0 },
      { flag: "Valid", score: 100, max_score: 100, hardfail: 0 },
    ]);
  });

  it("hardfails when the job is a hardfail job: Invalid, and the jobs after it do not run", async () => {
    const c = await makeCampaign({ hardfail: true, config: {} });
    const [listed, fine] = await captureAndProcess(c, [{ emailAddress: "listed@rival-7c1d.example" }, { emailAddress: "ok@example.org" }]);
    expect(await outcome([listed!, fine!])).toEqual([
      { flag: "Invalid", score: 0, max_score: 10, hardfail: 1 },
      { flag: "Valid", score: 100, max_score: 100, hardfail: 0 },
    ]);
    const results = await rows<{ status: string }>(`SELECT status FROM processr_job_leads WHERE lead_id = ?1 ORDER BY campaign_processr_job_id`, listed);
    expect(results.map((r) => r.status)).toEqual(["failed", "not_run"]);
  });

  it("checks only the configured lists and kinds", async () => {
    const onlyPhones = await makeCampaign({ hardfail: true, config: { lists: [`/api/v4/validation-lists/${list.phones}`] } });
    const onlyDomains = await makeCampaign({ hardfail: true, config: { check: ["domain"] } });
    const a = await captureAndProcess(onlyPhones, [{ emailAddress: "listed@rival-7c1d.example" }, { emailAddress: "x@example.org", telephone: "+442079460958" }]);
    const b = await captureAndProcess(onlyDomains, [{ emailAddress: "listed@rival-7c1d.example" }, { emailAddress: "y@blocked.example" }]);
    expect((await outcome([...a, ...b])).map((o) => o.flag)).toEqual(["Valid", "Invalid", "Valid", "Invalid"]);
  });

  it("tells the publisher only that the check failed; admins see the list and the value", async () => {
    const c = await makeCampaign({ hardfail: true, config: {} });
    const [id] = await captureAndProcess(c, [{ emailAddress: "listed@rival-7c1d.example" }]);
    const path = `/api/v4/processr-job-leads?lead.id=${id}`;
    const publisherView = await (await call(path, { headers: north })).text();
    const resultView = await (await call(`/api/v2.4/publisher/12/lead-result/${id}`, { headers: north })).text();
    for (const text of [publisherView, resultView]) {
      expect(text).not.toContain("Competitor staff 7c1d");
      expect(text).not.toContain(`validation-lists/${list.emails}`);
    }
    expect(publisherView).toContain("Failed validation list check");
    const adminView = (await (await call(path, { headers: admin })).json()) as Doc;
    const failed = adminView["hydra:member"].find((m: Doc) => m.status === "failed");
    expect(failed.detail).toBe(
      `Email "listed@rival-7c1d.example" is on the list "Competitor staff 7c1d" (/api/v4/validation-lists/${list.emails})`,
    );
  });
});

describe("the job's configuration and lookups", () => {
  it("accepts list ids or IRIs and the kinds to check, and refuses anything else", () => {
    expect(parseConfig("validation_list_check", {}).data).toEqual({ lists: [], check: ["email", "domain", "phone"] });
    expect(parseConfig("validation_list_check", { lists: [3, "4", "/api/v4/validation-lists/5"] }).data?.lists).toEqual([3, 4, 5]);
    for (const bad of [{ lists: ["/api/v4/leads/3"] }, { check: [] }, { check: ["postcode"] }, { other: 1 }]) {
      expect(parseConfig("validation_list_check", bad).success).toBe(false);
    }
  });

  it("passes a lead with nothing to check without asking D1", async () => {
    const out = await runJob("validation_list_check", {}, lead({ firstName: "Ada" }));
    expect(out).toEqual({ passed: true, message: "Nothing to check against the validation lists" });
  });

  it("words the admin-only detail of a pass as a sentence, for every list, one list or several", async () => {
    const detail = async (config: Record<string, unknown>, values: Record<string, string>) => {
      const out = await runJob("validation_list_check", config, lead(values, { email: values.email }), createJobContext(env, NOW));
      expect(out.passed).toBe(true);
      return (out as { detail?: string }).detail;
    };
    expect(await detail({ check: ["email"] }, { email: "a@example.org" })).toBe('Email "a@example.org" is not on any validation list');
    expect(await detail({ check: ["email", "domain"], lists: [list.emails] }, { email: "a@example.org" })).toBe(
      `Email "a@example.org" and email domain "example.org" are not on validation list ${list.emails}`,
    );
    expect(await detail({ lists: [list.emails, list.domains, list.phones] }, { email: "a@example.org", telephone: "+44 20 7946 0000" })).toBe(
      `Email "a@example.org", email domain "example.org" and telephone "+442079460000" ("telephone") are on none of validation lists ${list.emails}, ${list.domains} and ${list.phones}`,
    );
  });

  it("reads the phone from the configured field", async () => {
    const ctx = createJobContext(env, NOW);
    const l = lead({ email: "a@example.org", mobileNumber: "+44 20 7946 0958" }, { email: "a@example.org" });
    expect((await runJob("validation_list_check", {}, l, ctx)).passed).toBe(true);
    expect((await runJob("validation_list_check", { phoneField: "mobileNumber" }, l, ctx)).passed).toBe(false);
  });

  it("looks the values of concurrent callers up in one D1 query, each getting its own matches", async () => {
    let prepared = 0;
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") return (q: string) => (prepared++, target.prepare(q));
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const lookup = createListLookup({ DB: db });
    const [a, b, c] = await Promise.all([
      lookup.find(["listed@rival-7c1d.example"]),
      lookup.find(["blocked.example", "nobody@example.org"]),
      lookup.find(["nothing.example"]),
    ]);
    expect(prepared).toBe(1);
    expect(a.map((m) => m.listName)).toEqual(["Competitor staff 7c1d"]);
    expect(b.map((m) => [m.kind, m.value])).toEqual([["domain", "blocked.example"]]);
    expect(c).toEqual([]);
  });
});
