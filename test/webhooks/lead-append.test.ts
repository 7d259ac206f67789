import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { demoLeadHash } from "../../src/db/seed";
import { bearer, DEMO, form, json, loginAs } from "../helpers";
import { callWithKey, leadRow, notes, WEBHOOK_KEY } from "./helpers";

const LEAD = 53001; // seeded: firstName Ada, lastName Lovelace, email ada@example.org
const keyHeader = { "X-Webhook-Key": WEBHOOK_KEY };

async function datas(leadId: number): Promise<Record<string, string>> {
  const { results } = await env.DB.prepare("SELECT name, value FROM lead_datas WHERE lead_id = ?").bind(leadId).all<{ name: string; value: string }>();
  return Object.fromEntries(results.map((r) => [r.name, r.value]));
}

describe("POST /ajax/lead-append/{leadHash}", () => {
  it("needs credentials and changes nothing without them", async () => {
    const h = await demoLeadHash("acme", LEAD);
    const before = await datas(LEAD);
    const res = await callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${h}`, form({ jobTitle: "CTO" }));
    expect(res.status).toBe(401);
    const wrong = await callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${h}?key=nope`, form({ jobTitle: "CTO" }));
    expect(wrong.status).toBe(401);
    expect(await datas(LEAD)).toEqual(before);
  });

  it("adds new values and overwrites existing ones, with a note per change and the lead's core copies updated", async () => {
    const h = await demoLeadHash("acme", LEAD);
    const notesBefore = (await notes(LEAD)).length;
    const body = new FormData();
    body.set("jobTitle", "Analyst");
    body.set("email", "ada@lovelace.example");
    body.set("telephone[telephone]", "07700900123");
    body.set("firstName", "Ada"); // unchanged: no note
    const res = await callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${h}`, { method: "POST", body, headers: keyHeader });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(await datas(LEAD)).toMatchObject({ jobTitle: "Analyst", email: "ada@lovelace.example", "telephone[telephone]": "07700900123", firstName: "Ada" });
    const lead = (await leadRow(LEAD))!;
    expect(lead).toMatchObject({ email: "ada@lovelace.example", telephone: "07700900123", first_name: "Ada", flag: "Valid" });
    const added = (await notes(LEAD)).slice(notesBefore);
    expect(added.map((n) => n.note).sort()).toEqual([
      'Lead data "email" changed from "ada@example.org" to "ada@lovelace.example" (lead append)',
      'Lead data "jobTitle" set to "Analyst" (lead append)',
      'Lead data "telephone[telephone]" set to "07700900123" (lead append)',
    ]);
    expect(added.every((n) => n.author === "webhook key" && n.to_flag === null)).toBe(true);
  });

  it("stores the lead's email as capture does: from the form's email field, trimmed and lower-cased", async () => {
    const h = await demoLeadHash("acme", 53002);
    const res = await callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${h}`, form({ email: "  Grace.Hopper@Navy.Example " }, keyHeader));
    expect(res.status).toBe(200);
    expect((await leadRow(53002))!.email).toBe("grace.hopper@navy.example");
    // Another field changes nothing of it.
    await callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${h}`, form({ jobTitle: "Admiral" }, keyHeader));
    expect((await leadRow(53002))!.email).toBe("grace.hopper@navy.example");
  });

  it("works with an admin token and JSON, recording the admin on the note", async () => {
    const h = await demoLeadHash("acme", 53002);
    const admin = await loginAs(DEMO.admin);
    const res = await callWithKey(undefined, `/ajax/lead-append/${h}`, json({ company: "Navy" }, "POST", bearer(admin)));
    expect(res.status).toBe(200);
    expect((await datas(53002)).company).toBe("Navy");
    expect((await notes(53002)).at(-1)).toMatchObject({ author: DEMO.admin.username, user_id: DEMO.admin.id });
  });

  it("refuses an unknown hash, an empty body, bad names and platform fields, changing nothing", async () => {
    const h = await demoLeadHash("acme", LEAD);
    const before = await datas(LEAD);
    const unknown = await callWithKey(WEBHOOK_KEY, "/ajax/lead-append/ffffffffffffffffffffffffffffffff", form({ a: "b" }, keyHeader));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: 404, message: "Lead not found" });
    const empty = await callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${h}`, form({}, keyHeader));
    expect(empty.status).toBe(400);
    const badName = await callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${h}`, form({ "bad name!": "x" }, keyHeader));
    expect(badName.status).toBe(400);
    const system = await callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${h}`, form({ leadHash: "x", jobTitle: "CEO" }, keyHeader));
    expect(system.status).toBe(400);
    expect(await system.json()).toEqual({ code: 400, message: 'Field "leadHash" is set by the platform and cannot be changed.' });
    expect(await datas(LEAD)).toEqual(before);
  });
});
