import { beforeAll, describe, expect, it } from "vitest";
import { checkOutboundUrl } from "../../src/integrations/outbound-url";
import { get, send, tokens } from "../v4/fixtures";

// The outbound URL policy and the integration configs saved through v4: IPv6 literals that carry
// an IPv4 address, and header values that would split into another header.

const prod = { ENVIRONMENT: "production" as const, ALLOW_PRIVATE_OUTBOUND: "false" };

describe("IPv6 forms that embed an IPv4 address", () => {
  it("are refused whatever IPv4 address they carry, in every spelling the URL parser accepts", () => {
    const embedding = [
      "https://[::ffff:0:127.0.0.1]/", // IPv4-translated (SIIT)
      "https://[::ffff:0:7f00:1]/",
      "https://[::ffff:0:8.8.8.8]/",
      "https://[::ffff:127.0.0.1]/", // IPv4-mapped, dotted and hex
      "https://[::ffff:7f00:1]/",
      "https://[0:0:0:0:0:ffff:a9fe:a9fe]/",
      "https://[::ffff:8.8.8.8]/",
      "https://[::10.0.0.1]/", // IPv4-compatible
      "https://[2002:7f00:1::]/", // 6to4 (127.0.0.1)
      "https://[2002:0808:0808::1]/",
      "https://[64:ff9b::8.8.8.8]/", // NAT64, well-known and local-use prefixes
      "https://[64:ff9b::a00:1]/",
      "https://[64:ff9b:1::a9fe:a9fe]/",
      "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo
      "https://[2001::1]/",
    ];
    for (const u of embedding) expect(() => checkOutboundUrl(prod, u), u).toThrow(/embed an IPv4 address/);
  });

  it("leave ordinary public IPv6 addresses alone", () => {
    for (const u of ["https://[2606:4700::1111]/", "https://[2001:4860:4860::8888]/", "https://[2a00:1450:4009::200e]/"]) {
      expect(checkOutboundUrl(prod, u).protocol, u).toBe("https:");
    }
  });
});

describe("header values in integration configs", () => {
  let t: Awaited<ReturnType<typeof tokens>>;
  let adaptorId: number;
  beforeAll(async () => {
    t = await tokens();
    // A POST integration names its adaptor, so that the header is the only thing wrong below.
    adaptorId = (await send("/api/v4/adaptors", "POST", { name: "CRM fields", fields: [{ field: "email", mappedTo: "email" }] }, t.admin)).body.id;
  });

  const job = (headers: string) => ({
    campaign: 602,
    type: "http_integration",
    label: "CRM",
    config: { name: "CRM", url: "https://crm.example.com/leads", headers, adaptorId },
  });

  it("refuses a CR or LF in a header value when the config is saved, and saves nothing", async () => {
    const before = (await get("/api/v4/campaign-processr-jobs?campaign.id=602", t.admin)).body["hydra:totalItems"];
    for (const headers of ["X-Token: abc\r\nX-Injected: 1", "X-Token: abc\nHost: evil.example", "X-Token: a\rb", "X-Token: a\u0000b"]) {
      const res = await send("/api/v4/campaign-processr-jobs", "POST", job(headers), t.admin);
      expect(res.status, JSON.stringify(headers)).toBe(422);
      expect(res.body.violations).toEqual([
        { propertyPath: "config.headers", message: 'The header "X-Token" has a line break or control character in its value.' },
      ]);
    }
    expect((await get("/api/v4/campaign-processr-jobs?campaign.id=602", t.admin)).body["hydra:totalItems"]).toBe(before);
    // Tabs are allowed in a value, and several headers are separated by "|".
    expect((await send("/api/v4/campaign-processr-jobs", "POST", job("X-Token: a\tb|X-Other: c"), t.admin)).status).toBe(201);
  });

  it("refuses a line break in a Convertr Connect API key, which is sent as X-Api-Key", async () => {
    const res = await send("/api/v4/campaign-processr-jobs", "POST", {
      campaign: 602,
      type: "convertr_connect",
      label: "Upstream",
      config: { enterpriseUrl: "https://client.example.com", apiKey: "0123456789\r\nX-Injected: 1", publisherId: 5, campaignId: 701, formId: 71 },
    }, t.admin);
    expect(res.status).toBe(422);
    expect(res.body.violations).toContainEqual({ propertyPath: "config.apiKey", message: "Must not contain line breaks or control characters." });
  });
});
