import type { Env } from "../env";
import { isoTs } from "../http/iso-time";
import { platformLeadData } from "../leads/platform-data";
import type { JobLead } from "../processr/types";

// What an integration sees of a lead: its captured values plus a few platform fields that field
// maps may name ("leadId", "leadHash", ...). Captured values win over platform fields of the same name.

export type IntegrationLead = JobLead & {
  leadHash: string;
  flag: string | null;
  deletedTs: number | null;
  firstDeliveredTs: number | null;
  country: string | null;
};

export async function loadIntegrationLead(env: Pick<Env, "DB">, leadId: number): Promise<IntegrationLead | null> {
  const [leads, datas] = await env.DB.batch(integrationLeadStatements(env, [leadId]));
  return integrationLeadsOf(leads!, datas!).get(leadId)?.lead ?? null;
}

/** The two reads of loadIntegrationLead for any number of leads, for a caller that batches them with its own. */
export function integrationLeadStatements(env: Pick<Env, "DB">, leadIds: readonly number[]): [D1PreparedStatement, D1PreparedStatement] {
  const ids = JSON.stringify(leadIds);
  return [
    env.DB.prepare(
      `SELECT id, campaign_id, publisher_id, lead_hash, ip, user_agent, created_ts, email, flag, deleted_ts, country,
              first_delivered_ts, data
       FROM leads WHERE id IN (SELECT value FROM json_each(?))`,
    ).bind(ids),
    // Not the "system" values (the lead's hash): "every captured value" is the client's data, and a
    // field map that names leadHash reads it from the platform fields.
    env.DB.prepare(
      "SELECT lead_id, name, value FROM lead_datas WHERE lead_id IN (SELECT value FROM json_each(?)) AND type <> 'system' ORDER BY lead_id, id",
    ).bind(ids),
  ];
}

/**
 * The leads from the results of integrationLeadStatements, by id (a lead that does not exist is
 * absent), each with its row's `data` as read: what a later statement compares to tell that the
 * lead's values have not changed since.
 */
export function integrationLeadsOf(leads: D1Result, datas: D1Result): Map<number, { lead: IntegrationLead; data: string | null }> {
  // Null prototype: captured names are the publisher's ("constructor", "__proto__" included).
  const values = new Map<number, Record<string, string>>();
  for (const d of datas.results as { lead_id: number; name: string; value: string }[]) {
    let own = values.get(d.lead_id);
    if (!own) values.set(d.lead_id, (own = Object.create(null) as Record<string, string>));
    own[d.name] = d.value;
  }
  type Row = { id: number; campaign_id: number; publisher_id: number; lead_hash: string; ip: string | null; user_agent: string | null;
    created_ts: number; email: string | null; flag: string | null; deleted_ts: number | null; country: string | null;
    first_delivered_ts: number | null; data: string | null };
  const out = new Map<number, { lead: IntegrationLead; data: string | null }>();
  for (const row of leads.results as Row[]) {
    const lead: IntegrationLead = {
      id: row.id,
      campaignId: row.campaign_id,
      publisherId: row.publisher_id,
      leadHash: row.lead_hash,
      ip: row.ip,
      userAgent: row.user_agent,
      createdTs: row.created_ts,
      email: row.email,
      flag: row.flag,
      deletedTs: row.deleted_ts,
      firstDeliveredTs: row.first_delivered_ts,
      country: row.country,
      values: values.get(row.id) ?? (Object.create(null) as Record<string, string>),
    };
    out.set(row.id, { lead, data: row.data });
  }
  return out;
}

type MappedLead = JobLead & { leadHash: string; country?: string | null };

const platformValues = (lead: MappedLead) => ({
  // emailDomain, createdDate, country, ip, userAgent: the lead data every lead shows.
  ...platformLeadData({ ...lead, country: lead.country ?? null }),
  leadId: lead.id,
  leadHash: lead.leadHash,
  campaignId: lead.campaignId,
  publisherId: lead.publisherId,
  createdTs: isoTs(lead.createdTs),
});

const PLATFORM: Record<keyof ReturnType<typeof platformValues>, true> = {
  emailDomain: true, createdDate: true, country: true, ip: true, userAgent: true,
  leadId: true, leadHash: true, campaignId: true, publisherId: true, createdTs: true,
};
/** The platform fields a field map may name besides the captured values. */
export const PLATFORM_FIELDS: ReadonlySet<string> = new Set(Object.keys(PLATFORM));

/** A named value of the lead for an outbound field map; "" when the lead has none. */
export function leadFieldValue(lead: MappedLead, field: string): string {
  // Own values only: a field map naming "constructor" must not send Object's source to the client.
  if (Object.hasOwn(lead.values, field)) return lead.values[field]!;
  const platform: Record<string, string | number | null> = platformValues(lead);
  const v = Object.hasOwn(platform, field) ? platform[field] : undefined;
  return v === null || v === undefined ? "" : String(v);
}
