import { describe, expect, it } from "vitest";
import { call } from "../helpers";

// The OpenAPI document as the Worker serves it, and the /docs page around it. The validator and
// the example requests against a live server are in test/e2e/openapi.test.ts.

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }> }>>;
  components: { schemas: Record<string, unknown> };
  webhooks: Record<string, unknown>;
};

const getDoc = async () => {
  const res = await call("/api/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toContain("application/json");
  return (await res.json()) as Doc;
};

const examplesOf = (doc: Doc, operationId: string, status: string) => {
  const op = Object.values(doc.paths).flatMap((p) => Object.values(p)).find((o) => o.operationId === operationId)!;
  return Object.values(op.responses[status]?.content?.["application/json"]?.examples ?? {}).map((e) => e.value);
};

// Convertr's publisher API error table, copied from its public documentation.
const CONVERTR_ERROR_TABLE: [string, unknown][] = [
  ["400", { code: 400, message: "Validation Failed", errors: { errors: ["This form should not contain extra fields."], children: { firstName: [], email: [], lastName: [] } } }],
  ["401", { error: "invalid_grant", error_description: "The access token provided is invalid." }],
  ["401", { error: "invalid_grant", error_description: "The access token provided has expired." }],
  ["403", { code: 403, message: "Campaign has not started yet" }],
  ["403", { code: 403, message: "Campaign is fulfilled" }],
  ["404", { code: 404, message: "Not Found" }],
  ["404", { code: 404, message: "Campaign Link not found" }],
];

describe("GET /api/openapi.json", () => {
  it("is OpenAPI 3.1 with the sync-tag callbacks as webhooks", async () => {
    const doc = await getDoc();
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(doc.webhooks)).toEqual(["leadStatusChanged"]);
  });

  it("documents every error body of Convertr's error table as an example of the lead POST", async () => {
    const doc = await getDoc();
    for (const [status, body] of CONVERTR_ERROR_TABLE) expect(examplesOf(doc, "publisherPostLead", status)).toContainEqual(body);
  });

  it("names each operation once and resolves every $ref", async () => {
    const doc = await getDoc();
    const ids = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const name of refs) expect(Object.keys(doc.components.schemas)).toContain(name);
  });

  it("uses this deployment's origin in its servers and curl samples", async () => {
    const doc = (await getDoc()) as Doc & { servers: { url: string }[] };
    expect(doc.servers).toEqual([{ url: "http://127.0.0.1:8787", description: "The acme enterprise" }]);
    const login = doc.paths["/api/login"]!.post as unknown as { "x-codeSamples": { source: string }[] };
    expect(login["x-codeSamples"][0]!.source).toContain("'http://127.0.0.1:8787/api/login'");
  });
});

describe("GET /docs", () => {
  it("renders the reference with our own bundle, a nonce policy and nothing from another origin", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/html");
    const html = await res.text();
    const policy = res.headers.get("Content-Security-Policy")!;
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeTruthy();
    expect(policy).toContain("connect-src 'self'");
    expect(html).toContain('<script src="/docs-assets/scalar-api-reference.js"');
    expect(html).toContain(`nonce="${nonce}"`);
    expect(html).toContain('"url": "/api/openapi.json"');
    expect(html).not.toMatch(/(src|href)="https?:/);
    // A new nonce per page.
    const again = (await call("/docs")).headers.get("Content-Security-Policy");
    expect(again).not.toBe(policy);
  });

  it("keeps the strict policy on every other answer", async () => {
    const res = await call("/api/openapi.json");
    expect(res.headers.get("Content-Security-Policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
