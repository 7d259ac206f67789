import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { type FetchHandler, SELF_ORIGIN, stubFetch, toSelf } from "./helpers";

// POST /api/v4/convertr-connect/discover against this very Worker as the client enterprise.
const handler: { current: FetchHandler } = { current: toSelf };
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

const good = { enterpriseUrl: SELF_ORIGIN, apiKey: "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b", publisherId: 13, campaignId: 601 };
type Violations = { violations: { propertyPath: string; message: string }[] };

async function discover(body: unknown, token?: string) {
  return call("/api/v4/convertr-connect/discover", json(body, "POST", bearer(token ?? (await loginAs(DEMO.admin)))));
}

describe("POST /api/v4/convertr-connect/discover", () => {
  it("lists the client campaign's forms with their fields, and its links", async () => {
    const res = await discover(good);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { forms: { formId: number; formName: string; fields: { key: string; name: string }[] }[]; links: { id: number }[] };
    expect(body.forms.map((f) => f.formId).sort()).toEqual([23, 35]);
    const simple = body.forms.find((f) => f.formId === 35)!;
    expect(simple.formName).toBe("Acme Campaign - Simple Form");
    expect(simple.fields).toEqual([
      { key: "form[firstName]", name: "firstName" }, { key: "form[email]", name: "email" }, { key: "form[lastName]", name: "lastName" },
    ]);
    expect(body.forms.find((f) => f.formId === 23)!.fields).toContainEqual({ key: "form[lookup][postcode]", name: "lookup[postcode]" });
    expect(body.links.map((l) => l.id)).toEqual([25, 26, 30]);
  });

  it("names what is wrong: the API key, the publisher, the campaign", async () => {
    const admin = await loginAs(DEMO.admin);
    const badKey = await discover({ ...good, apiKey: "00000000000000000000000000000000" }, admin);
    expect(badKey.status).toBe(422);
    expect(((await badKey.json()) as Violations).violations).toEqual([{ propertyPath: "apiKey", message: "The client enterprise rejected this API key." }]);
    const badPub = await discover({ ...good, publisherId: 12 }, admin);
    expect(((await badPub.json()) as Violations).violations).toEqual([{ propertyPath: "publisherId", message: "The API key is for publisher 13, not 12." }]);
    const badCampaign = await discover({ ...good, campaignId: 602 }, admin);
    expect(((await badCampaign.json()) as Violations).violations).toEqual([{ propertyPath: "campaignId", message: "The API key is for campaign 601, not 602." }]);
    const missing = await discover({ enterpriseUrl: SELF_ORIGIN }, admin);
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as Violations).violations.map((v) => v.propertyPath).sort()).toEqual(["apiKey", "campaignId", "publisherId"]);
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
      expect(((await down.json()) as { "hydra:description": string })["hydra:description"]).toContain("did not answer properly");
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
