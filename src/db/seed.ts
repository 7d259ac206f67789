// Turns demo/enterprises.json into SQL statements for one enterprise, keeping the fixture's ids.
// Runs in Node (scripts/dev.mjs, vitest.config.ts) as well as in workerd, hence the explicit
// `.ts` import and no other dependencies.
import { hashPassword } from "../auth/password.ts";
import { CORE_FIELDS, coreValues } from "../leads/core-fields.ts";
import { emailFieldName, normaliseEmail } from "../leads/email.ts";
import { leadDataBlock, NEXT_VALUE_ID_SQL, RESERVE_BLOCK_SQL } from "../leads/lead-data-block.ts";
import { ALLOCATION_RECOUNT_SQL, salesRecountSql } from "../leads/statistics.ts";

interface FixtureField { name: string; required?: boolean; type?: string; hidden?: boolean }
interface FixtureLead {
  id: number; publisherId: number; formId: number; flag: string; createdTs: string; data: Record<string, string>;
}
interface FixtureCampaign {
  id: number; name: string; status: string; advertiserId: number; currencyId: number;
  startTs: string; endTs: string; leadsRequired: number; payout: string; payoutAmount: string;
  contractValue?: string; defaultPublisherRate?: number; campaignMarket?: string;
  publishers: { publisherId: number; apiKey: string; cap: number | null }[];
  forms: { id: number; name: string; fields: FixtureField[] }[];
  links: { id: number; channel: string; name: string; destination: string }[];
  processrJobs: { id: number; type: string; name: string; score: number; hardfail: boolean; config: unknown }[];
  leads?: FixtureLead[];
}
const formFieldsOf = (c: FixtureCampaign, formId: number) => c.forms.find((f) => f.id === formId)?.fields ?? [];

export interface FixtureEnterprise {
  baseUrl: string;
  /** Known client_id ("{id}_{randomId}") and client_secret for /oauth/v2/token, instead of the migration's random ones. */
  oauthClient?: { id: number; randomId: string; secret: string };
  currencies: { id: number; name: string; symbol: string; base: boolean; rateToBase: string }[];
  advertisers: { id: number; name: string }[];
  publishers: { id: number; name: string }[];
  users: {
    id: number; username: string; password: string; role: string; name: string;
    publisherId?: number; mfa?: { telephone: string };
  }[];
  campaigns: FixtureCampaign[];
  /** Validation lists with their entries as stored (normalised for the kind: src/lists/normalise.ts). */
  validationLists?: { id: number; name: string; kind: string; erasure?: boolean; entries: string[] }[];
}
export interface Fixture { enterprises: Record<string, FixtureEnterprise> }

type Value = string | number | boolean | null | undefined;

function lit(v: Value): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number") return String(v);
  return `'${v.replace(/'/g, "''")}'`;
}

function insert(table: string, row: Record<string, Value>): string {
  const cols = Object.keys(row);
  return `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map((c) => lit(row[c])).join(", ")});`;
}

async function hex32(seed: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(seed));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("").slice(0, 32);
}

const ms = (iso: string) => Date.parse(iso);

/** Deterministic demo values that the fixture does not carry (documented in docs/operations.md and docs/campaign-webhook.md). */
export const demoCampaignWebhookKey = (enterprise: string, campaignId: number) =>
  hex32(`${enterprise}:campaign:${campaignId}:webhook`);
export const demoLandingPageKey = (enterprise: string, campaignId: number, publisherId: number) =>
  hex32(`${enterprise}:campaign:${campaignId}:publisher:${publisherId}:webhook`);
export const demoLeadHash = (enterprise: string, leadId: number) => hex32(`${enterprise}:lead:${leadId}`);

export async function seedStatements(fixture: Fixture, enterprise: string): Promise<string[]> {
  const e = fixture.enterprises[enterprise];
  if (!e) throw new Error(`unknown enterprise "${enterprise}"`);
  const out: string[] = [];
  for (const c of e.currencies) out.push(insert("currencies", { id: c.id, name: c.name, symbol: c.symbol, base: c.base, rate_to_base: c.rateToBase }));
  for (const a of e.advertisers) out.push(insert("advertisers", { id: a.id, name: a.name }));
  for (const p of e.publishers) out.push(insert("publishers", { id: p.id, name: p.name }));
  for (const u of e.users) {
    out.push(insert("users", {
      id: u.id, username: u.username, name: u.name, role: u.role, publisher_id: u.publisherId ?? null,
      password_hash: await hashPassword(u.password), mfa_telephone: u.mfa?.telephone ?? null,
    }));
  }
  if (e.oauthClient) {
    out.push("DELETE FROM oauth_clients;");
    out.push(insert("oauth_clients", { id: e.oauthClient.id, random_id: e.oauthClient.randomId, secret: e.oauthClient.secret }));
  }
  for (const l of e.validationLists ?? []) {
    out.push(insert("validation_lists", { id: l.id, name: l.name, kind: l.kind, erasure: l.erasure ?? false }));
    for (const value of l.entries) out.push(insert("validation_list_entries", { list_id: l.id, value }));
  }
  for (const c of e.campaigns) {
    out.push(insert("campaigns", {
      id: c.id, name: c.name, advertiser_id: c.advertiserId, currency_id: c.currencyId,
      start_ts: ms(c.startTs), end_ts: ms(c.endTs), leads_required: c.leadsRequired,
      paused: c.status === "Paused", contract_signed: c.status !== "Setup Required",
      payout: c.payout, payout_amount: c.payoutAmount, contract_value: c.contractValue ?? "0.00",
      default_publisher_rate: c.defaultPublisherRate ?? 0, campaign_market: c.campaignMarket ?? "b2b",
      api_key: await demoCampaignWebhookKey(enterprise, c.id),
    }));
    for (const p of c.publishers) {
      out.push(insert("campaign_publishers", {
        campaign_id: c.id, publisher_id: p.publisherId, api_key: p.apiKey, cap: p.cap,
        webhook_key: await demoLandingPageKey(enterprise, c.id, p.publisherId),
      }));
    }
    for (const f of c.forms) {
      out.push(insert("forms", { id: f.id, campaign_id: c.id, name: f.name }));
      f.fields.forEach((field, position) => {
        const type = field.type ?? (field.name === "submit" ? "submit" : "text");
        out.push(insert("form_fields", {
          form_id: f.id, name: field.name, type, required: field.required ?? false, hidden: field.hidden ?? false, position,
        }));
      });
    }
    for (const l of c.links) {
      out.push(insert("links", { id: l.id, campaign_id: c.id, channel: l.channel, name: l.name, destination: l.destination }));
    }
    c.processrJobs.forEach((j, position) => {
      out.push(insert("campaign_processr_jobs", {
        id: j.id, campaign_id: c.id, type: j.type, label: j.name, score: j.score, hardfail: j.hardfail,
        position, config: JSON.stringify(j.config ?? {}),
      }));
    });
    const leads = c.leads ?? [];
    const count = (flag: string) => leads.filter((l) => l.flag === flag).length;
    const billable = count("Valid");
    out.push(insert("campaign_statistics", {
      campaign_id: c.id, total_leads: leads.length, valid_leads: count("Valid"), caution_leads: count("Caution"),
      invalid_leads: count("Invalid"), test_leads: count("Test"), billable_leads: billable,
      delivered_leads: billable + count("Test"),
    }));
    // The chronology is per campaign and UTC day of capture, the same buckets as the totals.
    const days = new Map<string, FixtureLead[]>();
    for (const l of leads) {
      const day = new Date(ms(l.createdTs)).toISOString().slice(0, 10);
      days.set(day, [...(days.get(day) ?? []), l]);
    }
    for (const [day, dayLeads] of days) {
      const n = (flag: string) => dayLeads.filter((l) => l.flag === flag).length;
      out.push(insert("lead_statistics_chronologies", {
        campaign_id: c.id, day, total_leads: dayLeads.length, valid_leads: n("Valid"), caution_leads: n("Caution"),
        invalid_leads: n("Invalid"), test_leads: n("Test"), billable_leads: n("Valid"),
      }));
    }
    for (const l of leads) {
      const created = ms(l.createdTs);
      const hash = await demoLeadHash(enterprise, l.id);
      const valid = l.flag === "Valid";
      out.push(insert("leads", {
        id: l.id, campaign_id: c.id, publisher_id: l.publisherId, form_id: l.formId, lead_hash: hash,
        qa_result: l.flag, flag: l.flag, processr_status: 1000, advertiser_billable: valid, publisher_billable: valid,
        advertiser_payout: valid ? c.payoutAmount : "0.00",
        email: normaliseEmail(l.data[emailFieldName(formFieldsOf(c, l.formId))]),
        // The core columns as capture fills them (src/leads/core-fields.ts).
        ...Object.fromEntries(coreValues(new Map(Object.entries(l.data)), formFieldsOf(c, l.formId)).map((v, i) => [CORE_FIELDS[i]!.column, v])),
        data: leadDataBlock(Object.entries(l.data)), created_ts: created, updated_ts: created,
      }));
      // The values as capture stores them: the lead's block, its ids reserved as capture does.
      out.push(`UPDATE leads SET data_id = ${NEXT_VALUE_ID_SQL} WHERE id = ${l.id};`, `${RESERVE_BLOCK_SQL.replaceAll("?1", lit(hash))};`);
    }
    out.push(`UPDATE campaign_publishers AS cp SET reserved_leads = (${ALLOCATION_RECOUNT_SQL}) WHERE cp.campaign_id = ${c.id};`);
    out.push(`UPDATE campaign_statistics SET total_sales_cents = (${salesRecountSql(c.id)}) WHERE campaign_id = ${c.id};`);
  }
  return out;
}
