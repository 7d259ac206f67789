import { env } from "cloudflare:workers";
import { bearer, call, DEMO, json, loginAs } from "../helpers";

// Extra leads beside the fixture's two (53001, 53002: publisher 12, campaign 603), written
// straight to D1 as test data: 53101-53103 on campaign 601 for publisher 13, 53104 for 12.
export async function addLeads() {
  const rows: [number, number, number, string, string, string][] = [
    [53101, 601, 13, "Valid", "ada@example.org", "2026-03-01T10:00:00Z"],
    [53102, 601, 13, "Caution", "bob@example.org", "2026-03-02T10:00:00Z"],
    [53103, 601, 13, "Invalid", "carol@example.org", "2026-03-03T10:00:00Z"],
    [53104, 601, 12, "Test", "dave@example.org", "2026-03-04T10:00:00Z"],
  ];
  await env.DB.batch(
    rows.flatMap(([id, campaign, publisher, flag, email, created]) => [
      env.DB.prepare(
        `INSERT INTO leads (id, campaign_id, publisher_id, form_id, lead_hash, qa_result, flag, processr_status, email, first_name, created_ts, updated_ts, advertiser_payout)
         VALUES (?1, ?2, ?3, 35, ?4, ?5, ?5, 1000, ?6, 'Name' || ?1, ?7, ?7, '10.00')`,
      ).bind(id, campaign, publisher, `hash${id}`, flag, email, Date.parse(created)),
      env.DB.prepare(`INSERT INTO lead_datas (lead_id, name, value) VALUES (?1, 'email', ?2), (?1, 'firstName', 'Name' || ?1)`).bind(id, email),
      env.DB.prepare(`INSERT INTO lead_datas (lead_id, name, value, type) VALUES (?1, 'leadHash', ?2, 'system')`).bind(id, `hash${id}`),
    ]),
  );
}

export async function tokens() {
  return {
    admin: bearer(await loginAs(DEMO.admin)),
    north: bearer(await loginAs(DEMO.northwind)),
    agency: bearer(await loginAs(DEMO.agencyPartners)),
  };
}

export type Doc = Record<string, any>;

export async function get(path: string, headers: Record<string, string>): Promise<{ status: number; body: Doc; res: Response }> {
  const res = await call(path, { headers });
  return { status: res.status, body: (await res.json()) as Doc, res };
}

export async function send(path: string, method: string, body: unknown, headers: Record<string, string>, type = "application/ld+json") {
  const res = await call(path, { ...json(body, method, headers), headers: { ...headers, "Content-Type": type } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Doc, res };
}

export const ids = (body: Doc) => (body["hydra:member"] as Doc[]).map((m) => m.id as number);
