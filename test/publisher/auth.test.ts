import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { formBody, KEYS, leadsPath, postForm, SIMPLE } from "./support";

// Every way in: bearer token, access_token query parameter, X-Api-Key; and who may act as whom.
let northwind: string;
let agency: string;
let admin: string;
beforeAll(async () => {
  [northwind, agency, admin] = await Promise.all([loginAs(DEMO.northwind), loginAs(DEMO.agencyPartners), loginAs(DEMO.admin)]);
});

const FORMS_601 = [
  {
    fields: [
      "form[promotion]", "form[title]", "form[firstName]", "form[lastName]", "form[email]",
      "form[lookup][addressLine1]", "form[lookup][addressLine2]", "form[lookup][addressLine3]", "form[lookup][addressLine4]",
      "form[lookup][postcode]", "form[telephone][countryCode]", "form[telephone][telephone]", "form[submit]",
    ],
    formId: 23,
    formName: "Acme Campaign - Advanced Form",
  },
  { fields: ["form[firstName]", "form[email]", "form[lastName]", "form[submit]"], formId: 35, formName: "Acme Campaign - Simple Form" },
];
const LINKS_601 = [
  { channel: "Email", destination: "https://forms.acme.test/acme-campaign-email", id: 25, name: "acme-campaign-email" },
  { channel: "Social", destination: "https://forms.acme.test/acme-campaign-social", id: 26, name: "acme-campaign-social" },
  { channel: "Display", destination: "https://forms.acme.test/acme-campaign-display?template=1&wp=4", id: 30, name: "acme-campaign-display" },
];

describe("GET fields/{campaign} and links/{campaign}", () => {
  it("returns the documented shapes with a bearer token", async () => {
    const f = await call("/api/v2.4/publisher/fields/601", { headers: bearer(northwind) });
    expect(f.status).toBe(200);
    expect(await f.json()).toEqual(FORMS_601);
    const l = await call("/api/v2.4/publisher/links/601", { headers: bearer(northwind) });
    expect(await l.json()).toEqual(LINKS_601);
  });

  it("accepts the access_token query parameter and the campaign publisher's X-Api-Key", async () => {
    const q = await call(`/api/v2.4/publisher/fields/601?access_token=${northwind}`);
    expect(await q.json()).toEqual(FORMS_601);
    const k = await call("/api/v2.4/publisher/links/601", { headers: { "X-Api-Key": KEYS.agency601 } });
    expect(await k.json()).toEqual(LINKS_601);
  });

  it("404 for another campaign's API key, a campaign the publisher is not on, an unknown campaign", async () => {
    const nf = { code: 404, message: "Not Found" };
    for (const [path, headers] of [
      ["/api/v2.4/publisher/fields/601", { "X-Api-Key": KEYS.northwind602 }],
      ["/api/v2.4/publisher/fields/602", bearer(agency)],
      ["/api/v2.4/publisher/links/602", bearer(agency)],
      ["/api/v2.4/publisher/fields/999", bearer(admin)],
    ] as const) {
      const res = await call(path, { headers });
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 404, body: nf });
    }
  });

  it("admins see every campaign; a campaign without links lists none", async () => {
    const res = await call("/api/v2.4/publisher/fields/602", { headers: bearer(admin) });
    expect(await res.json()).toEqual([
      { fields: ["form[firstName]", "form[lastName]", "form[email]", "form[submit]"], formId: 36, formName: "Acme Spring Launch - Form" },
    ]);
    expect(await (await call("/api/v2.4/publisher/links/602", { headers: bearer(admin) })).json()).toEqual([]);
  });

  it("401 without credentials or with a bad key", async () => {
    const none = await call("/api/v2.4/publisher/fields/601");
    expect({ status: none.status, body: await none.json() }).toEqual({
      status: 401, body: { error: "access_denied", error_description: "OAuth2 authentication required" },
    });
    const bad = await call("/api/v2.4/publisher/fields/601", { headers: { "X-Api-Key": "nope" } });
    expect({ status: bad.status, body: await bad.json() }).toEqual({
      status: 401, body: { error: "invalid_grant", error_description: "The access token provided is invalid." },
    });
  });
});

describe("POST leads: who may post as whom", () => {
  const publisherOf = async (res: Response) => {
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { data: number }).data;
    return (await env.DB.prepare("SELECT publisher_id FROM leads WHERE id = ?").bind(id).first<{ publisher_id: number }>())!.publisher_id;
  };
  const denied = async (res: Response) => {
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 403, body: { code: 403, message: "Access denied." } });
  };

  it("a publisher posts as itself with a token, a query token or its API key", async () => {
    expect(await publisherOf(await postForm(leadsPath(12, 35, 601), formBody(SIMPLE), bearer(northwind)))).toBe(12);
    expect(await publisherOf(await postForm(leadsPath(12, 35, 601, `?access_token=${northwind}&linkId=26`), formBody(SIMPLE)))).toBe(12);
    expect(await publisherOf(await postForm(leadsPath(13, 35, 601), formBody(SIMPLE), { "X-Api-Key": KEYS.agency601 }))).toBe(13);
  });

  it("a publisher may not post as another publisher", async () => {
    await denied(await postForm(leadsPath(13, 35, 601), formBody(SIMPLE), bearer(northwind)));
    await denied(await postForm(leadsPath(12, 35, 601), formBody(SIMPLE), { "X-Api-Key": KEYS.agency601 }));
  });

  it("an API key works only for its own campaign", async () => {
    await denied(await postForm(leadsPath(12, 35, 601), formBody(SIMPLE), { "X-Api-Key": KEYS.northwind602 }));
  });

  it("an admin may post for any publisher of the campaign", async () => {
    expect(await publisherOf(await postForm(leadsPath(13, 35, 601), formBody(SIMPLE), bearer(admin)))).toBe(13);
    expect(await publisherOf(await postForm(leadsPath(12, 35, 601), formBody(SIMPLE), bearer(admin)))).toBe(12);
  });
});
