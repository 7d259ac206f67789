import { describe, expect, it } from "vitest";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { type Doc, get, send, tokens } from "./fixtures";

// GET /api/v4/processr-job-types: the console's Add Job form is generated from these schemas, so
// each must describe what the API's own validation accepts and refuses.
describe("GET /api/v4/processr-job-types", () => {
  it("lists every QA and integration job type with its config's JSON Schema", async () => {
    const { admin } = await tokens();
    const { status, body } = await get("/api/v4/processr-job-types", admin);
    expect(status).toBe(200);
    const byType = new Map((body["hydra:member"] as Doc[]).map((t) => [t.type as string, t]));
    expect(body["hydra:totalItems"]).toBe(byType.size);
    expect(byType.get("required_value_check")).toMatchObject({
      name: "Required Value Check",
      kind: "qa",
      configSchema: { type: "object", properties: { fields: { type: "array", default: ["firstName", "lastName", "email"] } } },
    });
    const http = byType.get("http_integration")!;
    expect(http.kind).toBe("integration");
    expect(http.configSchema.required).toEqual(["name"]);
    expect(http.configSchema.properties.method).toEqual({ type: "string", enum: ["POST", "GET"] });
    const connect = byType.get("convertr_connect")!;
    expect(connect.configSchema.required).toEqual(expect.arrayContaining(["apiKey", "publisherId", "campaignId", "formId", "mapping"]));
  });

  it("describes what the job write accepts: a config built from the schema's defaults is saved, one breaking it is refused", async () => {
    const { admin } = await tokens();
    const { body } = await get("/api/v4/processr-job-types", admin);
    const vowel = (body["hydra:member"] as Doc[]).find((t) => t.type === "vowel_check")!;
    const config = Object.fromEntries(Object.entries(vowel.configSchema.properties as Doc).map(([k, p]) => [k, p.default]));
    const ok = await send("/api/v4/campaign-processr-jobs", "POST", { campaign: "/api/v4/campaigns/601", type: "vowel_check", label: "Vowels", config }, admin);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    // additionalProperties: false and a digits pattern, as the schema says.
    expect(vowel.configSchema.additionalProperties).toBe(false);
    for (const [config, path] of [[{ vowels: 2 }, "config"], [{ minLetters: "three" }, "config.minLetters"]] as const) {
      const bad = await send("/api/v4/campaign-processr-jobs", "POST", { campaign: "/api/v4/campaigns/601", type: "vowel_check", label: "Vowels", config }, admin);
      expect(bad.status).toBe(422);
      expect(bad.body.violations[0].propertyPath).toBe(path);
    }
  });

  it("is for the client's admins only", async () => {
    expect((await call("/api/v4/processr-job-types")).status).toBe(401);
    const publisher = await call("/api/v4/processr-job-types", { headers: bearer(await loginAs(DEMO.northwind)) });
    expect(publisher.status).toBe(403);
  });
});
