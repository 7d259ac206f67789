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
  const [lead, datas] = await env.DB.batch(integrationLeadStatements(env, leadId));
  return integrationLeadOf(lead!, datas!);
}

/** The two reads of loadIntegrationLead, for a caller that batches them with its own. */
export function integrationLeadStatements(env: Pick<Env, "DB">, leadId: number): [D1PreparedStatement, D1PreparedStatement] {
  return [
    env.DB.prepare(
      `SELECT id, campaign_id, publisher_id, lead_hash, ip, user_agent, created_ts, email, flag, deleted_ts, country,
              first_delivered_ts
       FROM leads WHERE id = ?`,
    ).bind(leadId),
    env.DB.prepare("SELECT name, value FROM lead_datas WHERE lead_id = ? ORDER BY id").bind(leadId),
  ];
}

/** The lead from the results of integrationLeadStatements; null when there is no such lead. */
export function integrationLeadOf(lead: D1Result, datas: D1Result): IntegrationLead | null {
  const row = lead.results[0] as
    | { id: number; campaign_id: number; publisher_id: number; lead_hash: string; ip: string | null;
        user_agent: string | null; created_ts: number; email: string | null; flag: string | null; deleted_ts: number | null;
        country: string | null; first_delivered_ts: number | null }
    | undefined;
  if (!row) return null;
  // Null prototype: captured names are the publisher's ("constructor", "__proto__" included).
  const values: Record<string, string> = Object.create(null);
  for (const d of datas.results as { name: string; value: string }[]) values[d.name] = d.value;
  return {
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
    values,
  };
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
