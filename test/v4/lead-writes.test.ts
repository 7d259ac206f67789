import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { addLeads, get, send, tokens } from "./fixtures";

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  await addLeads();
  t = await tokens();
});

describe("POST /api/v4/lead-datas (Edit Data tab)", () => {
  it("adds a new value and records a note", async () => {
    const res = await send("/api/v4/lead-datas", "POST", { lead: "/api/v4/leads/53101", name: "jobTitle", value: "CTO" }, t.admin);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ "@type": "LeadData", lead: "/api/v4/leads/53101", name: "jobTitle", value: "CTO", type: "core.data" });
    const notes = (await get("/api/v4/lead-notes?lead.id=53101", t.admin)).body["hydra:member"];
    expect(notes.at(-1)).toMatchObject({ author: "admin@acme.test", user: "/api/v4/users/167", note: 'Lead data "jobTitle" added with value "CTO".' });
  });

  it("edits an existing value, keeps the lead's copy in step, and notes old and new value", async () => {
    const res = await send("/api/v4/lead-datas", "POST", { lead: 53101, name: "email", value: "ada@new.example" }, t.admin);
    expect(res.status).toBe(201);
    const lead = (await get("/api/v4/leads/53101", t.admin)).body;
    expect(lead.email).toBe("ada@new.example");
    expect(lead.leadData.find((d: any) => d.name === "email").value).toBe("ada@new.example");
    expect(lead.leadNotes).toHaveLength(2);
    const note = (await get(lead.leadNotes[1], t.admin)).body;
    expect(note.note).toBe('Lead data "email" changed from "ada@example.org" to "ada@new.example".');
    expect((await get("/api/v4/leads?email=ada@new.example", t.admin)).body["hydra:totalItems"]).toBe(1);
  });

  it("refuses system values, bad bodies and unknown leads with 422, and non-JSON with 415", async () => {
    const hash = await send("/api/v4/lead-datas", "POST", { lead: 53101, name: "leadHash", value: "x" }, t.admin);
    expect(hash.status).toBe(422);
    expect(hash.body.violations).toEqual([{ propertyPath: "name", message: '"leadHash" is a system value and cannot be edited.' }]);
    const blank = await send("/api/v4/lead-datas", "POST", { lead: 53101, name: "", value: 1 }, t.admin);
    expect(blank.status).toBe(422);
    expect([...new Set(blank.body.violations.map((v: any) => v.propertyPath))].sort()).toEqual(["name", "value"]);
    const unknown = await send("/api/v4/lead-datas", "POST", { lead: 999999, name: "x", value: "y" }, t.admin);
    expect(unknown.body.violations[0].propertyPath).toBe("lead");
    const form = await send("/api/v4/lead-datas", "POST", { lead: 53101 }, t.admin, "application/x-www-form-urlencoded");
    expect(form.status).toBe(415);
    const publisher = await send("/api/v4/lead-datas", "POST", { lead: 53101, name: "x", value: "y" }, t.agency);
    expect(publisher.status).toBe(403);
    const hashRow = await env.DB.prepare("SELECT value FROM lead_datas WHERE lead_id = 53101 AND name = 'leadHash'").first<{ value: string }>();
    expect(hashRow!.value).toBe("hash53101");
  });

  it("lists the editable fields of a lead, without system values", async () => {
    const { body } = await get("/api/v4/lead-editable-fields?lead.id=53102", t.admin);
    expect(body["hydra:member"].map((f: any) => f.name).sort()).toEqual(["email", "firstName"]);
    expect(body["hydra:member"][0]).toMatchObject({ "@type": "LeadEditableField", lead: "/api/v4/leads/53102", leadData: expect.stringMatching(/^\/api\/v4\/lead-datas\/\d+$/) });
    expect((await get("/api/v4/lead-editable-fields?lead.id=53102", t.north)).body["hydra:totalItems"]).toBe(0);
  });
});

describe("PATCH and DELETE /api/v4/leads/{id} (through the lead object)", () => {
  it("changes the flag with merge-patch and records the reason", async () => {
    const res = await send("/api/v4/leads/53102", "PATCH", { leadFlag: "/api/v4/lead-flags/1", reason: "Checked by phone" }, t.admin, "application/merge-patch+json");
    expect(res.status).toBe(200);
    expect(res.body.leadFlag).toEqual({ "@id": "/api/v4/lead-flags/1", "@type": "LeadFlag", name: "Valid" });
    const notes = (await get("/api/v4/lead-notes?lead.id=53102", t.admin)).body["hydra:member"];
    expect(notes.at(-1)).toMatchObject({ fromFlag: "Caution", toFlag: "Valid", reason: "Checked by phone" });
  });

  it("refuses other content types (415), bad flags and missing reasons (422), and publishers", async () => {
    const asJson = await send("/api/v4/leads/53102", "PATCH", { leadFlag: "/api/v4/lead-flags/2", reason: "x" }, t.admin, "application/json");
    expect(asJson.status).toBe(415);
    const bad = await send("/api/v4/leads/53102", "PATCH", { leadFlag: "/api/v4/lead-flags/7" }, t.admin, "application/merge-patch+json");
    expect(bad.status).toBe(422);
    expect(bad.body.violations.map((v: any) => v.propertyPath).sort()).toEqual(["leadFlag", "reason"]);
    const other = await send("/api/v4/leads/53102", "PATCH", { leadFlag: 2, reason: "x" }, t.north, "application/merge-patch+json");
    expect(other.status).toBe(404);
    const own = await send("/api/v4/leads/53102", "PATCH", { leadFlag: 2, reason: "x" }, t.agency, "application/merge-patch+json");
    expect(own.status).toBe(403);
    expect((await get("/api/v4/leads/53102", t.admin)).body.leadFlag.name).toBe("Valid");
  });

  it("soft-deletes: the lead and its data disappear from the API", async () => {
    const del = await send("/api/v4/leads/53103", "DELETE", undefined, t.admin);
    expect(del.status).toBe(204);
    expect((await get("/api/v4/leads/53103", t.admin)).status).toBe(404);
    expect((await get("/api/v4/lead-datas?lead.id=53103", t.admin)).body["hydra:totalItems"]).toBe(0);
    const row = await env.DB.prepare("SELECT deleted_ts FROM leads WHERE id = 53103").first<{ deleted_ts: number | null }>();
    expect(row!.deleted_ts).not.toBeNull();
    expect((await send("/api/v4/leads/53103", "DELETE", undefined, t.admin)).status).toBe(404);
  });
});
