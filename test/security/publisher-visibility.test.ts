import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { type FetchHandler, insertJob, insertLead, recordingEnv, stubFetch, withAdaptor } from "../integrations/helpers";
import { KEYS } from "../publisher/support";

// What a publisher must not see of the client's business: its CRM (URL, query credentials,
// answers) in provider logs, job results, lead notes and the publisher API's lead result; its
// commercial terms on leads; its scoring rules on Processr jobs. Deliveries are made by the real
// dispatcher against a stubbed CRM, so the rows are the ones production writes. Admins still see all.

const CRM_HOST = "crm-7f3e.example.test";
const QUERY_SECRET = "crm-query-secret-91c2";
const ANSWER = "crm-answer-5d1a";
const LABEL = "Northwind Salesforce push 42ab";
const SECRETS = [CRM_HOST, QUERY_SECRET, ANSWER, LABEL];

const handler: { current: FetchHandler } = {
  // The CRM accepts the first lead and refuses the second, quoting itself both times.
  current: async (req) => {
    const body = new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer()));
    return body.get("firstName") === "Ada"
      ? new Response(`accepted ${ANSWER}`, { status: 200 })
      : new Response(`rejected by ${CRM_HOST}: ${ANSWER}`, { status: 400 });
  },
};
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

let publisher: string;
let admin: string;
const lead = { delivered: 0, failed: 0 };
let jobId = 0;

beforeAll(async () => {
  [publisher, admin] = await Promise.all([loginAs(DEMO.northwind), loginAs(DEMO.admin)]);
  jobId = await insertJob(601, "http_integration", await withAdaptor({ name: "CRM", url: `https://${CRM_HOST}/in`, authQuery: `token=${QUERY_SECRET}`, method: "POST" }), LABEL);
  lead.delivered = (await insertLead(601, 12, 35, { firstName: "Ada", email: "ada@example.org" })).id;
  lead.failed = (await insertLead(601, 12, 35, { firstName: "Grace", email: "grace@example.org" })).id;
  const { env: e } = recordingEnv();
  for (const leadId of [lead.delivered, lead.failed]) expect(await handleIntegrateMessage(e, { type: "integrate", leadId, jobId })).toBe("ack");
  // A Processr log with its context (job score and rules), as the Processr writes them.
  await env.DB.prepare(
    `INSERT INTO logs (type, lead_id, campaign_id, level, message, context) VALUES ('processr', ?, 601, 'info', 'Processr outcome: Valid.', ?)`,
  )
    .bind(lead.delivered, JSON.stringify({ score: 40, maxScore: 40, hardfail: true }))
    .run();
});

const get = async (path: string, token: string) => {
  const res = await call(path, { headers: bearer(token) });
  expect(res.status, path).toBe(200);
  return res.text();
};
const members = (text: string) => (JSON.parse(text) as { "hydra:member": Record<string, unknown>[] })["hydra:member"];
const expectNoSecret = (text: string, where: string) => {
  for (const s of SECRETS) expect(text.includes(s), `${where} shows "${s}"`).toBe(false);
};

describe("what a publisher sees of deliveries to the client's CRM", () => {
  it("provider logs are for admins only; Processr logs come without their context", async () => {
    for (const id of [lead.delivered, lead.failed]) {
      const own = await get(`/api/v4/logs?lead.id=${id}`, publisher);
      expectNoSecret(own, "the publisher's logs");
      expect(members(own).every((l) => l.type === "processr" && !("context" in l))).toBe(true);
      expect(members(await get(`/api/v4/logs?type=provider&lead.id=${id}`, publisher))).toEqual([]);

      const all = await get(`/api/v4/logs?type=provider&lead.id=${id}`, admin);
      expect(members(all)).toHaveLength(1);
      expect(all).toContain(ANSWER);
      expect(members(all)[0]!.context).toMatchObject({ outcome: id === lead.delivered ? "delivered" : "rejected" });
    }
    const processr = members(await get(`/api/v4/logs?type=processr&lead.id=${lead.delivered}`, publisher));
    expect(processr.map((l) => l.message)).toEqual(["Processr outcome: Valid."]);
    const providerLog = members(await get(`/api/v4/logs?type=provider&lead.id=${lead.delivered}`, admin))[0]!;
    expect((await call(String(providerLog["@id"]), { headers: bearer(publisher) })).status).toBe(404);
    const withContext = members(await get(`/api/v4/logs?type=processr&lead.id=${lead.delivered}`, admin));
    expect(withContext[0]!.context).toEqual({ score: 40, maxScore: 40, hardfail: true });
  });

  it("the lead result gives a publisher one generic line per delivery, an admin the CRM's answer", async () => {
    for (const headers of [bearer(publisher), { "X-Api-Key": KEYS.northwind601 }]) {
      for (const [id, delivered] of [[lead.delivered, true], [lead.failed, false]] as const) {
        const res = await call(`/api/v2.4/publisher/12/lead-result/${id}`, { headers });
        expect(res.status).toBe(200);
        const text = await res.text();
        expectNoSecret(text, "the lead result");
        const body = JSON.parse(text) as { jobs: unknown[]; reasons: unknown[] };
        const line = delivered ? "Delivered to the client." : "Not delivered to the client.";
        expect(body.jobs).toEqual([{ jobId, label: "Delivery to the client", status: delivered ? "passed" : "failed", score: 0, message: line }]);
        expect(body.reasons).toEqual(delivered ? [] : [{ jobId, label: "Delivery to the client", message: line }]);
      }
    }
    const res = await call(`/api/v2.4/publisher/12/lead-result/${lead.failed}`, { headers: bearer(admin) });
    const body = (await res.json()) as { jobs: { label: string; message: string; detail: string }[] };
    expect(body.jobs[0]).toMatchObject({ label: LABEL, message: "Not delivered to the client." });
    expect(body.jobs[0]!.detail).toContain(ANSWER);
  });

  it("job results and lead notes of a delivery read as the generic line for a publisher", async () => {
    for (const [id, line] of [[lead.delivered, "Delivered to the client."], [lead.failed, "Not delivered to the client."]] as const) {
      const results = await get(`/api/v4/processr-job-leads?lead.id=${id}`, publisher);
      expectNoSecret(results, "the publisher's job results");
      expect(members(results).map((r) => [r.message, "detail" in r])).toEqual([[line, false]]);
      const notes = await get(`/api/v4/lead-notes?lead.id=${id}`, publisher);
      expectNoSecret(notes, "the publisher's lead notes");
      expect(members(notes).map((n) => [n.author, n.note, n.reason])).toEqual([["integration:http_integration", line, null]]);

      const adminResults = members(await get(`/api/v4/processr-job-leads?lead.id=${id}`, admin));
      expect(adminResults.map((r) => r.message)).toEqual([line]);
      expect(adminResults[0]!.detail).toBe(id === lead.delivered ? "HTTP 200" : `HTTP 400: rejected by ${CRM_HOST}: ${ANSWER}`);
      const adminNotes = members(await get(`/api/v4/lead-notes?lead.id=${id}`, admin));
      expect(adminNotes.map((n) => n.note)).toEqual([line]);
      expect(adminNotes[0]!.reason).toBe(`${LABEL}: ${adminResults[0]!.detail}`);
    }
  });
});

describe("deliveries recorded before the generic line", () => {
  it("are rewritten by the migration: the CRM's answer moves to the admin-only detail and reason", async () => {
    const old = (await insertLead(601, 12, 35, { firstName: "Hedy" })).id;
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO processr_job_leads (lead_id, campaign_processr_job_id, status, message, score, started_ts, finished_ts) VALUES (?, ?, 'failed', ?, 0, 1, 1)`,
      ).bind(old, jobId, `HTTP 400: ${ANSWER}`),
      env.DB.prepare("INSERT INTO lead_notes (lead_id, author, note) VALUES (?, 'integration:http_integration', ?), (?, 'integration:http_integration', ?)")
        .bind(old, `Delivery failed: ${LABEL}: HTTP 400: ${ANSWER}`, old, `Delivered by ${LABEL}: HTTP 200`),
    ]);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0011_delivery_result_detail"))!;
    await env.DB.batch(migration.queries.map((q) => env.DB.prepare(q)));

    const results = members(await get(`/api/v4/processr-job-leads?lead.id=${old}`, publisher));
    expect(results.map((r) => [r.message, "detail" in r])).toEqual([["Not delivered to the client.", false]]);
    const notes = members(await get(`/api/v4/lead-notes?lead.id=${old}`, publisher));
    expect(notes.map((n) => [n.note, n.reason])).toEqual([["Not delivered to the client.", null], ["Delivered to the client.", null]]);
    expect(members(await get(`/api/v4/processr-job-leads?lead.id=${old}`, admin))[0]!.detail).toBe(`HTTP 400: ${ANSWER}`);
    expect(members(await get(`/api/v4/lead-notes?lead.id=${old}`, admin)).map((n) => n.reason)).toEqual([
      `${LABEL}: HTTP 400: ${ANSWER}`, `${LABEL}: HTTP 200`,
    ]);
  });
});

describe("the client's commercial terms and rules", () => {
  const ADVERTISER = ["advertiserPayout", "baseCurrencyAdvertiserPayout", "advertiserBillable"];
  const RULES = ["score", "hardfail", "config"];
  const keysOf = (items: Record<string, unknown>[]) => new Set(items.flatMap((i) => Object.keys(i)));

  it("a publisher's leads carry no advertiser payout or billability; an admin's do", async () => {
    const own = members(await get("/api/v4/leads?itemsPerPage=100", publisher));
    expect(own.length).toBeGreaterThan(0);
    const item = JSON.parse(await get(`/api/v4/leads/${lead.delivered}`, publisher)) as Record<string, unknown>;
    for (const k of ADVERTISER) {
      expect(keysOf(own).has(k), k).toBe(false);
      expect(k in item, k).toBe(false);
    }
    expect(item.publisherPayout).toBeDefined();
    const adminItem = JSON.parse(await get(`/api/v4/leads/${lead.delivered}`, admin)) as Record<string, unknown>;
    for (const k of ADVERTISER) expect(k in adminItem, k).toBe(true);
  });

  it("a publisher's Processr jobs carry no score, hardfail or config, and an integration's label reads as a delivery; an admin's carry all", async () => {
    const own = members(await get("/api/v4/campaign-processr-jobs?campaign.id=601&itemsPerPage=100", publisher));
    expect(own.length).toBeGreaterThan(1);
    for (const k of RULES) expect(keysOf(own).has(k), k).toBe(false);
    // The labels its leads' results and log lines quote (QA jobs), so that Job Details and messages agree.
    const adminLabels = new Map(members(await get("/api/v4/campaign-processr-jobs?campaign.id=601&itemsPerPage=100", admin)).map((j) => [j.id, j.label]));
    const kind = (j: Record<string, unknown>) => (j.processrJob as { kind: string }).kind;
    expect(own.find((j) => j.id === jobId)?.label).toBe("Delivery to the client");
    for (const j of own) expect(j.label, String(j.id)).toBe(kind(j) === "integration" ? "Delivery to the client" : adminLabels.get(j.id));
    expect(own.filter((j) => kind(j) === "qa").length).toBeGreaterThan(0);
    expectNoSecret(JSON.stringify(own), "the publisher's Processr jobs");
    expect(own.every((j) => typeof j.type === "string" && typeof j.enabled === "boolean")).toBe(true);
    const item = JSON.parse(await get(`/api/v4/campaign-processr-jobs/${jobId}`, publisher)) as Record<string, unknown>;
    for (const k of RULES) expect(k in item, k).toBe(false);

    const all = members(await get("/api/v4/campaign-processr-jobs?campaign.id=601&itemsPerPage=100", admin));
    expect(all.find((j) => j.id === jobId)).toMatchObject({ label: LABEL, score: 0, hardfail: false, config: { url: `https://${CRM_HOST}/in` } });
  });

  it("docs.jsonld still documents the hidden properties, as admins only", async () => {
    const res = await call("/api/v4/docs.jsonld");
    const docs = (await res.json()) as { "hydra:supportedClass": { "@id": string; "hydra:supportedProperty": { "hydra:title": string; "hydra:description"?: string }[] }[] };
    const described = (cls: string, prop: string) =>
      docs["hydra:supportedClass"].find((c) => c["@id"] === `#${cls}`)!["hydra:supportedProperty"].find((p) => p["hydra:title"] === prop)?.["hydra:description"];
    for (const p of ADVERTISER) expect(described("Lead", p), p).toMatch(/\(admins only\)\.$/);
    for (const p of RULES) expect(described("CampaignProcessrJob", p), p).toMatch(/\(admins only\)\.$/);
    expect(described("Log", "context")).toMatch(/\(admins only\)\.$/);
    expect(described("ProcessrJobLead", "detail")).toMatch(/\(admins only\)\.$/);
  });
});
