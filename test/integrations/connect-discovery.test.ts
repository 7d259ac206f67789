import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { ACME_CLIENT, type FetchHandler, SELF_ORIGIN, stubFetch, toSelf } from "./helpers";

// POST /api/v4/convertr-connect/discover against this very Worker as the client enterprise (a
// leadflare client: it advertises sync tags). test/integrations/convertr-receiver.test.ts runs the
// same checks against a Convertr instance without leadflare's extension.
const handler: { current: FetchHandler } = { current: toSelf };
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

const good = { enterpriseUrl: SELF_ORIGIN, ...ACME_CLIENT, apiKey: "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b", publisherId: 13, campaignId: 601 };
type Violations = { violations: { propertyPath: string; message: string }[] };

async function discover(body: unknown, token?: string) {
  return call("/api/v4/convertr-connect/discover", json(body, "POST", bearer(token ?? (await loginAs(DEMO.admin)))));
}

describe("POST /api/v4/convertr-connect/discover", () => {
  it("lists the client campaign's forms with their fields, and its links", async () => {
    const res = await discover(good);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      forms: { formId: number; formName: string; fields: { key: string; name: string }[] }[]; links: { id: number }[]; syncTags: { available: boolean };
    };
    expect(body.syncTags.available).toBe(true);
    expect(body.forms.map((f) => f.formId).sort()).toEqual([23, 35]);
    const simple = body.forms.find((f) => f.formId === 35)!;
    expect(simple.formName).toBe("Acme Campaign - Simple Form");
    expect(simple.fields).toEqual([
      { key: "form[firstName]", name: "firstName" }, { key: "form[email]", name: "email" }, { key: "form[lastName]", name: "lastName" },
    ]);
    expect(body.forms.find((f) => f.formId === 23)!.fields).toContainEqual({ key: "form[lookup][postcode]", name: "lookup[postcode]" });
    expect(body.links.map((l) => l.id)).toEqual([25, 26, 30]);
  });

  it("names what is wrong: the API key, the OAuth client, the campaign", async () => {
    const admin = await loginAs(DEMO.admin);
    const badKey = await discover({ ...good, apiKey: "00000000000000000000000000000000" }, admin);
    expect(badKey.status).toBe(422);
    expect(((await badKey.json()) as Violations).violations).toEqual([{ propertyPath: "apiKey", message: "The client refused the API key: Invalid API key" }]);
    const badClient = await discover({ ...good, clientSecret: "not-the-secret" }, admin);
    expect(((await badClient.json()) as Violations).violations).toEqual([
      { propertyPath: "clientId", message: "The client refused clientId/clientSecret: The client credentials are invalid" },
    ]);
    const badCampaign = await discover({ ...good, campaignId: 602 }, admin);
    expect(((await badCampaign.json()) as Violations).violations).toEqual([{ propertyPath: "campaignId", message: "Campaign 602 is not covered by this API key at the client." }]);
    const missing = await discover({ enterpriseUrl: SELF_ORIGIN }, admin);
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as Violations).violations.map((v) => v.propertyPath).sort()).toEqual(["apiKey", "campaignId", "clientId", "clientSecret", "publisherId"]);
  });

  it("refuses private addresses when the policy forbids them, and reports an unreachable client as 502", async () => {
    const admin = await loginAs(DEMO.admin);
    const strict = await app.request("/api/v4/convertr-connect/discover", json(good, "POST", bearer(admin)), { ...env, ALLOW_PRIVATE_OUTBOUND: "false" });
    expect(strict.status).toBe(422);
    expect(((await strict.json()) as Violations).violations[0]!.propertyPath).toBe("enterpriseUrl");
    handler.current = () => {
      throw new TypeError("connection refused");
    };
    try {
      const down = await discover(good, admin);
      expect(down.status).toBe(502);
      expect(((await down.json()) as { "hydra:description": string })["hydra:description"]).toMatch(/^Could not reach .*check enterpriseUrl/);
    } finally {
      handler.current = toSelf;
    }
  });

  it("is for admins only", async () => {
    const pub = await loginAs(DEMO.northwind);
    expect((await discover(good, pub)).status).toBe(403);
    expect((await call("/api/v4/convertr-connect/discover", json(good))).status).toBe(401);
  });
});
