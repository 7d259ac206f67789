// The OpenAPI document against a real local server (test/e2e/harness.ts, the demo data): a maintained
// validator accepts it; every operation's documented example request — its curl sample, run by
// bash as a reader would paste it — gets the expected answer, and that answer matches the
// documented schema of its status; a real sync-tag callback matches the documented webhook and its
// signature verifies; /docs renders in Chromium with every operation listed and nothing fetched
// from another origin.
import { execFile } from "node:child_process";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Browser } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage } from "../console/browser";
import { type Enterprises, startEnterprises } from "./harness";

const run = promisify(execFile);

interface Operation {
  operationId: string;
  summary: string;
  requestBody?: { content: Record<string, { schema: unknown; example: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> }>;
  "x-codeSamples": { label: string; source: string }[];
}
interface Doc {
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, { post: Operation & { parameters: { name: string }[] } }>;
  components: Record<string, unknown>;
}

// What each operation's documented example answers on a fresh demo, in the order they run
// (state carries over: the lead is invalidated before it is validated; the password is changed last,
// since that ends the user's sessions).
const EXPECTED: [operationId: string, status: number][] = [
  ["login", 200],
  ["oauthTokenGet", 200],
  ["oauthTokenPost", 200],
  ["oauthRevoke", 200],
  ["passwordResetRequest", 202],
  ["passwordResetConfirm", 400],
  ["publisherFields", 200],
  ["publisherLinks", 200],
  ["publisherPostLead", 201],
  ["publisherLeadResult", 200],
  ["campaignWebhookFieldsV2", 200],
  ["campaignWebhookFields", 200],
  ["campaignWebhookFormFields", 200],
  ["campaignWebhookLinks", 200],
  ["campaignWebhookPostLead", 201],
  ["webhookInvalidate", 201],
  ["webhookValidate", 201],
  ["leadAppend", 200],
  ["syncSubscribe", 201],
  ["syncCredentials", 200],
  ["wellKnown", 200],
  ["syncReceive", 404],
  ["v4Entrypoint", 200],
  ["v4Documentation", 200],
  ["changePassword", 202],
];

let ent: Enterprises;
let doc: Doc;
let ajv: Ajv2020;
const DOC_ID = "https://leadflare.test/openapi.json";

const operations = () =>
  new Map(Object.values(doc.paths).flatMap((p) => Object.values(p)).map((o) => [o.operationId, o] as const));

/** Validates a body against a schema of the document; the errors, or null. */
function check(schema: unknown, body: unknown) {
  const validate = ajv.compile({ allOf: [rebase(schema)] });
  return validate(body) ? null : validate.errors;
}
/** "#/components/…" refs point into the document, which ajv knows under DOC_ID. */
const rebase = (schema: unknown) => JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${DOC_ID}#/components/`));

beforeAll(async () => {
  ent = await startEnterprises();
  doc = (await (await fetch(`${ent.urls.acme}/api/openapi.json`)).json()) as Doc;
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: DOC_ID, components: doc.components });
  // Two local enterprises on a shared, busy machine: more than the default 180 s.
}, 300_000);

afterAll(async () => {
  await ent?.stop();
});

describe("the document", () => {
  it("is valid OpenAPI 3.1 for @seriousme/openapi-schema-validator", async () => {
    const result = await new Validator().validate(doc as unknown as object);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("gives examples that its own schemas accept: every request body and every response example", () => {
    const wrong: string[] = [];
    for (const op of operations().values()) {
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        if (check(media.schema, media.example)) wrong.push(`${op.operationId} request ${type}`);
      }
      for (const [status, response] of Object.entries(op.responses)) {
        for (const media of Object.values(response.content ?? {})) {
          for (const [name, example] of Object.entries(media.examples ?? {})) {
            if (check(media.schema, example.value)) wrong.push(`${op.operationId} ${status} ${name}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("describes this server, and the test covers exactly its operations", () => {
    expect(doc.servers[0]!.url).toBe(ent.urls.acme);
    expect([...operations().keys()].sort()).toEqual(EXPECTED.map(([id]) => id).sort());
  });
});

/** Runs a curl sample as printed, adding only -w to read the status and type after the body. */
async function runSample(source: string) {
  const { stdout } = await run("bash", ["-c", `${source} -w '\\n%{http_code} %{content_type}'`], { timeout: 30_000 });
  const cut = stdout.lastIndexOf("\n");
  const [status, type] = stdout.slice(cut + 1).split(" ");
  return { status: Number(status), type: type ?? "", body: stdout.slice(0, cut) };
}

describe("every operation's example request, sent as its curl sample", () => {
  for (const [operationId, status] of EXPECTED) {
    it(`${operationId} answers ${status} with the documented body`, async () => {
      const op = operations().get(operationId)!;
      expect(op["x-codeSamples"].length).toBeGreaterThan(0);
      // One sample per media type of the request body (url-encoded, multipart, JSON).
      expect(op["x-codeSamples"].length).toBe(Math.max(1, Object.keys(op.requestBody?.content ?? {}).length));
      for (const sample of op["x-codeSamples"]) {
        const res = await runSample(sample.source);
        expect(res.status, `${sample.label}: ${res.body.slice(0, 300)}`).toBe(status);
        const documented = op.responses[String(status)];
        expect(documented, `${operationId} documents ${status}`).toBeDefined();
        const content = documented!.content;
        if (!content) {
          expect(res.body).toBe("");
          continue;
        }
        const [type, media] = Object.entries(content)[0]!;
        expect(res.type.split(";")[0]).toBe(type);
        expect(check(media.schema, JSON.parse(res.body))).toBeNull();
      }
    });
  }
});

describe("the v4 section", () => {
  it("has a curl sample that lists leads as printed", async () => {
    const v4 = doc.tags.find((t) => t.name === "v4 API (Hydra)")!;
    const sample = /```sh\n([\s\S]*?)\n```/.exec(v4.description)![1]!;
    const res = await runSample(sample);
    expect(res.status).toBe(200);
    const ids = (JSON.parse(res.body) as { "hydra:member": { "@id": string }[] })["hydra:member"].map((m) => m["@id"]);
    expect(ids).toEqual(["/api/v4/leads/53002", "/api/v4/leads/53001"]);
  });
});

describe("the leadStatusChanged webhook", () => {
  let server: Server;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("arrives as documented: signed headers, a body of the LeadEvent schema", async () => {
    const port = (server.address() as { port: number }).port;
    const subscribe = operations().get("syncSubscribe")!;
    const example = subscribe.requestBody!.content["application/json"]!.example as { secret: string; callbackUrl: string };
    // The documented JSON sample, with this test's receiver as the callback.
    const sample = subscribe["x-codeSamples"].find((s) => s.label === "curl (JSON)")!.source.replace(example.callbackUrl, `http://127.0.0.1:${port}/callback`);
    expect((await runSample(sample)).status).toBe(201);
    // The lead is flagged already, so the first callback goes out at once.
    await expect.poll(() => received.length, { timeout: 30_000 }).toBeGreaterThan(0);

    const hook = doc.webhooks.leadStatusChanged!.post;
    const { headers, body } = received[0]!;
    for (const p of hook.parameters) expect(headers[p.name], p.name).toBeTruthy();
    expect(check((hook.requestBody!.content["application/json"] as unknown as { schema: unknown }).schema, JSON.parse(body))).toBeNull();
    const signed = new Webhook(example.secret).verify(body, {
      "webhook-id": String(headers["webhook-id"]),
      "webhook-timestamp": String(headers["webhook-timestamp"]),
      "webhook-signature": String(headers["webhook-signature"]),
    });
    expect(signed).toMatchObject({ leadId: 53001, type: "lead.status_changed" });
  });
});

describe("/docs in headless Chromium", () => {
  let browser: Browser;
  const SHOTS = join(process.cwd(), "test-results/docs");

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("renders the reference with every operation listed, offline, without errors", async () => {
    const { page, errors } = await newPage(browser, ent.urls.acme);
    const elsewhere: string[] = [];
    // Nothing may come from another origin: the page must work offline under `npm run dev`.
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(ent.urls.acme) || url.startsWith("data:")) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto("/docs");
    await expect.poll(() => page.getByText("leadflare API (acme)").first().isVisible(), { timeout: 30_000 }).toBe(true);
    const summaries = [...operations().values(), ...Object.values(doc.webhooks).map((w) => w.post)].map((o) => o.summary);
    for (const summary of summaries) {
      await expect.poll(() => page.getByText(summary, { exact: true }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    }
    await page.screenshot({ path: join(SHOTS, "docs.png") });
    // Two sections for a person to look at: the publisher API's lead POST and the v4 section.
    await page.getByText("Post a lead", { exact: true }).first().click();
    await expect.poll(() => page.getByText("Captures a lead on the form", { exact: false }).first().isVisible()).toBe(true);
    await page.screenshot({ path: join(SHOTS, "docs-post-lead.png") });
    await page.getByText("v4 API (Hydra)", { exact: true }).first().click();
    await expect.poll(() => page.getByText("/api/v4/leads", { exact: true }).first().isVisible()).toBe(true);
    await page.screenshot({ path: join(SHOTS, "docs-v4.png") });
    expect(elsewhere).toEqual([]);
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("is linked from the console's app bar", async () => {
    const { page, errors } = await newPage(browser, ent.urls.acme);
    await page.goto("/");
    await page.getByLabel("Username").fill("admin@acme.test");
    await page.getByLabel("Password", { exact: true }).fill("acme-admin-2026!");
    await page.getByRole("button", { name: "Sign in" }).click();
    const link = page.getByRole("link", { name: "API reference" });
    await expect.poll(() => link.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await link.getAttribute("href")).toBe("/docs");
    await page.screenshot({ path: join(SHOTS, "console-link.png") });
    const [docs] = await Promise.all([page.context().waitForEvent("page"), link.click()]);
    await expect.poll(() => docs.getByText("leadflare API (acme)").first().isVisible(), { timeout: 30_000 }).toBe(true);
    expect(errors).toEqual([]);
  });
});
