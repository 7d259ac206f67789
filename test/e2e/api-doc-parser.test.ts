import { parseHydraDocumentation } from "@api-platform/api-doc-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Enterprises, startEnterprises } from "./harness";

// API Platform's own client discovers the v4 API from a real local server: entrypoint, Link
// header, docs.jsonld and contexts, then reads a collection's hydra:search mapping.
describe("@api-platform/api-doc-parser against /api/v4", () => {
  let ent: Enterprises;
  beforeAll(async () => {
    ent = await startEnterprises();
  });
  afterAll(async () => {
    await ent?.stop();
  });

  it("finds Lead and Campaign with their fields, and the lead filters", async () => {
    const url = ent.urls.acme;
    const login = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "admin@acme.test", password: "acme-admin-2026!" }).toString(),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const { api, status } = await parseHydraDocumentation(`${url}/api/v4`, { headers: { Authorization: `Bearer ${access_token}` } });
    expect(status).toBe(200);
    expect(api.title).toBe("leadflare v4 API");
    const byName = Object.fromEntries((api.resources ?? []).map((r) => [r.name, r]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(["leads", "campaigns", "lead-datas", "lead-notes", "users"]));

    const lead = byName.leads!;
    expect(lead.title).toBe("Lead");
    const leadFields = Object.fromEntries((lead.fields ?? []).map((f) => [f.name, f]));
    for (const name of ["firstName", "lastName", "email", "processrStatus", "score", "maxScore", "leadData", "leadNotes", "campaign", "leadFlag", "leadHash"]) {
      expect(leadFields[name], name).toBeDefined();
    }
    expect(leadFields.score!.type).toBe("integer");
    expect(leadFields.createdTs!.type).toBe("dateTime");
    expect(leadFields.campaign!.reference).toMatchObject({ name: "campaigns" });
    expect(lead.operations?.map((o) => o.method).sort()).toEqual(["DELETE", "GET", "GET", "PATCH"]);

    const campaign = byName.campaigns!;
    const campaignFields = (campaign.fields ?? []).map((f) => f.name);
    expect(campaignFields).toEqual(expect.arrayContaining(["status", "name", "startTs", "endTs", "advertiser", "currency", "statistics", "payoutAmount"]));
    expect(campaign.operations?.map((o) => o.method).sort()).toEqual(["DELETE", "GET", "GET", "POST", "PUT"]);

    const params = await lead.getParameters!();
    expect(params.map((p) => p.variable)).toEqual(expect.arrayContaining(["id", "id[]", "email", "campaign.id", "order[id]", "createdTs[after]"]));
  });
});
