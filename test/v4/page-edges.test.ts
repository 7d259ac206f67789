import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { addLeads, type Doc, get, tokens } from "./fixtures";

// Edges of a collection page (src/hydra/resource.ts getCollection): the count on a page past the
// last (a running total's: test/v4/leads-total), the query's order across pages when it has ties
// (broken by the id), and each lead's own relations when several leads of a page have some.

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  await addLeads();
  t = await tokens();
  await env.DB.prepare(
    `INSERT INTO lead_notes (lead_id, author, note) VALUES (53103, 'a', 'first'), (53101, 'a', 'one'), (53103, 'a', 'second'), (53104, 'a', 'four')`,
  ).run();
});

const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())!.n;

describe("a collection page's edges", () => {
  it.each([
    ["leads counted (relations)", "leads?publisher.id=13", "SELECT count(*) AS n FROM leads WHERE deleted_ts IS NULL AND publisher_id = 13"],
    ["publishers (no relations, counted)", "publishers", "SELECT count(*) AS n FROM publishers"],
  ])("a page past the last still counts hydra:totalItems: %s", async (_, path, sql) => {
    const n = await count(sql);
    expect(n).toBeGreaterThan(0);
    const { status, body } = await get(`/api/v4/${path}${path.includes("?") ? "&" : "?"}itemsPerPage=2&page=40`, t.admin);
    expect(status).toBe(200);
    expect(body["hydra:member"]).toEqual([]);
    expect(body["hydra:totalItems"]).toBe(n);
  });

  it("keeps the query's order, ties by id, across pages", async () => {
    const members: Doc[] = [];
    let total = 0;
    for (let page = 1; page <= 20; page++) {
      const { status, body } = await get(`/api/v4/lead-datas?order[name]=desc&itemsPerPage=3&page=${page}`, t.admin);
      expect(status).toBe(200);
      total = body["hydra:totalItems"];
      if (body["hydra:member"].length === 0) break;
      members.push(...body["hydra:member"]);
    }
    expect(members.length).toBe(total);
    expect(new Set(members.map((m) => m["@id"])).size).toBe(total);
    const key = (m: Doc) => [m.name as string, Number(String(m["@id"]).split("/").pop())] as const;
    const sorted = [...members].sort((x, y) => {
      const [a, b] = [key(x), key(y)];
      return a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? 1 : -1;
    });
    expect(members.map((m) => m["@id"])).toEqual(sorted.map((m) => m["@id"]));
    // Ties are there to break: several values share a name.
    expect(new Set(members.map((m) => m.name)).size).toBeLessThan(members.length);
  });

  it("links each lead of a page to its own notes, in id order", async () => {
    const { body } = await get("/api/v4/leads?campaign.id=601&order[id]=desc", t.admin);
    const notes = (await env.DB.prepare("SELECT id, lead_id FROM lead_notes WHERE lead_id BETWEEN 53101 AND 53104 ORDER BY id").all<{ id: number; lead_id: number }>()).results;
    for (const lead of body["hydra:member"] as Doc[]) {
      expect(lead.leadNotes, String(lead.id)).toEqual(notes.filter((n) => n.lead_id === lead.id).map((n) => `/api/v4/lead-notes/${n.id}`));
    }
    const byLead = new Map((body["hydra:member"] as Doc[]).map((m) => [m.id as number, (m.leadNotes as string[]).length]));
    expect([byLead.get(53101), byLead.get(53102), byLead.get(53103), byLead.get(53104)]).toEqual([1, 0, 2, 1]);
  });
});
