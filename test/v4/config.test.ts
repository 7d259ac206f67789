import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers";
import { get, ids, send, tokens } from "./fixtures";

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
});

describe("campaign publishers and their API keys", () => {
  it("creates a contract with a random key, shows it to that publisher only, and rotates it", async () => {
    const created = await send("/api/v4/campaign-publishers", "POST", { campaign: "/api/v4/campaigns/602", publisher: "/api/v4/publishers/13", cap: 50 }, t.admin);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ campaign: "/api/v4/campaigns/602", publisher: { "@id": "/api/v4/publishers/13", name: "Agency Partners Ltd" }, cap: 50, signed: true });
    const key = created.body.apiKey as string;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const mine = (await get(created.body["@id"], t.agency)).body;
    expect(mine.apiKey).toBe(key);
    expect((await get(created.body["@id"], t.north)).status).toBe(404);
    expect(ids((await get("/api/v4/campaigns", t.agency)).body)).toEqual([601, 602]);

    const rotated = await send(`${created.body["@id"]}/rotate-key`, "POST", {}, t.admin);
    expect(rotated.status).toBe(200);
    expect(rotated.body.apiKey).toMatch(/^[0-9a-f]{32}$/);
    expect(rotated.body.apiKey).not.toBe(key);
    expect((await send(`${created.body["@id"]}/rotate-key`, "POST", {}, t.agency)).status).toBe(403);

    const again = await send("/api/v4/campaign-publishers", "POST", { campaign: 602, publisher: 13 }, t.admin);
    expect(again.status).toBe(422);
    expect(again.body.violations).toEqual([{ propertyPath: "publisher", message: "This value is already used." }]);
    const noCampaign = await send("/api/v4/campaign-publishers", "POST", { campaign: 9999, publisher: 13 }, t.admin);
    expect(noCampaign.body.violations).toEqual([{ propertyPath: "campaign", message: 'Item not found for "/api/v4/campaigns/9999".' }]);
  });
});

describe("campaign Processr jobs", () => {
  it("accepts a registered type with a valid config and refuses the rest with violations", async () => {
    const ok = await send("/api/v4/campaign-processr-jobs", "POST", { campaign: 602, type: "required_value_check", label: "Required", score: 50, config: { fields: ["email"] } }, t.admin);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ type: "required_value_check", score: 50, config: { fields: ["email"] } });
    const unknown = await send("/api/v4/campaign-processr-jobs", "POST", { campaign: 602, type: "astrology_check", label: "x" }, t.admin);
    expect(unknown.status).toBe(422);
    expect(unknown.body.violations[0].propertyPath).toBe("type");
    const badConfig = await send(ok.body["@id"], "PUT", { config: { fields: [], bogus: true } }, t.admin);
    expect(badConfig.status).toBe(422);
    expect(badConfig.body.violations[0].propertyPath).toMatch(/^config/);
    expect((await get(ok.body["@id"], t.admin)).body.config).toEqual({ fields: ["email"] });
    const forPublisher = (await get("/api/v4/campaign-processr-jobs?campaign.id=601", t.north)).body["hydra:member"][0];
    expect(forPublisher.config).toBeUndefined();
  });
});

describe("a new campaign Processr job's position", () => {
  it("goes after the campaign's jobs unless one is given", async () => {
    const add = (body: Record<string, unknown>) => send("/api/v4/campaign-processr-jobs", "POST", { campaign: 601, label: "Position", ...body }, t.admin);
    const positions = async () =>
      ((await get("/api/v4/campaign-processr-jobs?campaign.id=601&itemsPerPage=100", t.admin)).body["hydra:member"] as { position: number }[]).map((j) => j.position);
    const last = Math.max(...(await positions()));
    const check = await add({ type: "required_value_check" });
    expect(check.body.position).toBe(last + 1);
    const integration = await add({ type: "http_integration", config: { name: "CRM", url: "https://crm.example.org/in", method: "GET" } });
    expect(integration.status, JSON.stringify(integration.body)).toBe(201);
    expect(integration.body.position).toBe(last + 2);
    expect((await add({ type: "required_value_check", position: 3 })).body.position).toBe(3);
  });
});

describe("advertisers, publishers, links, forms and fields", () => {
  it("runs the CRUD cycle with validation", async () => {
    const adv = await send("/api/v4/advertisers", "POST", { name: "Globex" }, t.admin);
    expect(adv.status).toBe(201);
    expect((await send(adv.body["@id"], "PUT", { name: "Globex Corp" }, t.admin)).body.name).toBe("Globex Corp");
    expect((await send("/api/v4/advertisers", "POST", { name: "  " }, t.admin)).status).toBe(422);
    expect((await send(adv.body["@id"], "DELETE", undefined, t.admin)).status).toBe(204);
    expect((await send("/api/v4/advertisers/319", "DELETE", undefined, t.admin)).status).toBe(409); // campaigns use it

    const pub = await send("/api/v4/publishers", "POST", { name: "Initech" }, t.admin);
    expect(pub.status).toBe(201);
    expect((await get("/api/v4/publishers", t.north)).body["hydra:member"].map((p: any) => p.id)).toEqual([12]);

    const link = await send("/api/v4/campaign-links", "POST", { campaign: 601, channel: "Email", name: "x", destination: "ftp://nope" }, t.admin);
    expect(link.status).toBe(422);
    const link2 = await send("/api/v4/campaign-links", "POST", { campaign: 601, channel: "Email", name: "promo", destination: "https://acme.test/p" }, t.admin);
    expect(link2.status).toBe(201);
    expect(ids((await get("/api/v4/campaign-links?campaign.id=601&enabled=true", t.admin)).body)).toContain(link2.body.id);

    const form = await send("/api/v4/forms", "POST", { campaign: 602, name: "Second form" }, t.admin);
    expect(form.status).toBe(201);
    const field = await send("/api/v4/form-fields", "POST", { form: form.body["@id"], name: "email", type: "email", required: true }, t.admin);
    expect(field.status).toBe(201);
    const dup = await send("/api/v4/form-fields", "POST", { form: form.body.id, name: "email" }, t.admin);
    expect(dup.body.violations).toEqual([{ propertyPath: "name", message: "This value is already used." }]);
    expect((await get(form.body["@id"], t.admin)).body.formFields).toEqual([field.body["@id"]]);
  });
});

describe("users (admins only)", () => {
  it("creates a user with a hashed password that can log in, and never shows a hash", async () => {
    const created = await send("/api/v4/users", "POST", { username: "ops@acme.test", name: "Ops", role: "publisher", publisher: 12, password: "correct-horse-battery" }, t.admin);
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toMatch(/pbkdf2|password"/i);
    const login = await call("/api/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "ops@acme.test", password: "correct-horse-battery" }) });
    expect(login.status).toBe(200);
    const list = await get("/api/v4/users", t.admin);
    expect(JSON.stringify(list.body)).not.toContain("pbkdf2");
    const noPublisher = await send("/api/v4/users", "POST", { username: "p@acme.test", role: "publisher", password: "long-enough-password" }, t.admin);
    expect(noPublisher.body.violations).toEqual([{ propertyPath: "publisher", message: "A publisher user needs a publisher." }]);
    const short = await send("/api/v4/users", "POST", { username: "s@acme.test", role: "admin", password: "short" }, t.admin);
    expect(short.body.violations[0].propertyPath).toBe("password");
    const taken = await send("/api/v4/users", "POST", { username: "admin@acme.test", role: "admin", password: "long-enough-password" }, t.admin);
    expect(taken.body.violations).toEqual([{ propertyPath: "username", message: "This value is already used." }]);
    expect((await send("/api/v4/users", "POST", { username: "x@acme.test", role: "admin", password: "long-enough-password" }, t.north)).status).toBe(403);
    expect((await get("/api/v4/users/167", t.north)).status).toBe(403);
    const disabled = await send(created.body["@id"], "DELETE", undefined, t.admin);
    expect(disabled.status).toBe(204);
    expect((await get(created.body["@id"], t.admin)).body.disabled).toBe(true);
  });
});
