import { getTableColumns, sql } from "drizzle-orm";
import type { Context, Next } from "hono";
import { authenticate } from "../auth/authenticate";
import { campaigns, currencies, type Lead, leads } from "../db/schema";
import type { AppEnv } from "../env";
import { API_PREFIX, iri, ld } from "../hydra/jsonld";
import { paging, partialView } from "../hydra/query";
import { context, type Ctx, queryOf } from "../hydra/resource";
import { leadExtra, leadResource, type Related } from "../routes/v4/leads";
import { type ArchivedLead, jobResultsOf, type Row } from "./format";
import { readArchivedLead, readArchivedLeads, restoreArchivedLead } from "./restore";

// Archived leads stay leads on /api/v4/leads/{id}: GET reads one from its archive file when it is
// not in D1 (the same representation, plus "archived": true); every other method (PATCH a flag,
// DELETE, POST …/reprocess) restores it to D1 first and then runs as for any lead. An email
// lookup (GET /api/v4/leads?email=…, nothing else but paging) finds archived leads too, after the
// ones in D1.

const LEAD_COLUMNS = Object.entries(getTableColumns(leads));

/** The lead's D1 row as drizzle reads it (column modes applied). */
export const leadOf = (raw: Row): Lead =>
  Object.fromEntries(LEAD_COLUMNS.map(([key, column]) => [key, raw[column.name] === null ? null : column.mapFromDriverValue(raw[column.name])])) as Lead;

/** The lead as the v4 Lead resource renders it in D1, from its archived rows, marked archived. */
async function render(ctx: Ctx, archived: ArchivedLead) {
  const row = leadOf(archived.rows.leads[0]!);
  const rate = await ctx.db
    .select({ rate: currencies.rateToBase })
    .from(campaigns).innerJoin(currencies, sql`${currencies.id} = ${campaigns.currencyId}`)
    .where(sql`${campaigns.id} = ${row.campaignId}`)
    .get();
  // The values as the file holds them: a file written before values moved onto the lead's row
  // has them only as lead_datas rows (its leads row has no data).
  const values = archived.rows.lead_datas.map((d) => ({ id: d.id as number, name: d.name as string, value: d.value as string }));
  const extra = leadExtra(
    [
      ...archived.rows.lead_notes.map((n): Related => ({ k: 0, id: n.id as number, ref: row.id })),
      ...jobResultsOf(archived).map((r): Related => ({ k: 1, id: r.id, ref: row.id })),
      ...(rate ? [{ k: 2, id: row.campaignId, ref: rate.rate } satisfies Related] : []),
    ],
    () => values,
  );
  const out: Record<string, unknown> = { "@id": iri("leads", row.id), "@type": "Lead" };
  for (const [name, f] of Object.entries(leadResource.fields)) {
    if (f.adminOnly && !ctx.isAdmin) continue;
    out[name] = f.get(row, extra, ctx);
  }
  out.archived = true;
  return out;
}

/** Middleware on /leads/:id and /leads/:id/reprocess, in front of their routes. */
export async function archivedLeadRoutes(c: Context<AppEnv>, next: Next) {
  const id = Number(c.req.param("id"));
  if (c.req.method !== "GET") {
    // Writes on a lead are for admins: only an admin's request restores one (the route itself
    // authenticates and answers as usual).
    await authenticate()(c, async () => {});
    const hot = await c.env.DB.prepare(`SELECT 1 AS x FROM leads WHERE id = ?1`).bind(id).first();
    if (!hot && context(c).isAdmin) await restoreArchivedLead(c.env, id);
    return next();
  }
  await next();
  if (c.res.status !== 404 || c.req.path !== `${API_PREFIX}/leads/${id}`) return;
  const ctx = context(c);
  const archived = await readArchivedLead(c.env, id);
  // A publisher user sees only its own leads, archived or not.
  if (!archived || (!ctx.isAdmin && archived.publisher_id !== ctx.publisherId)) return;
  c.res = undefined;
  c.res = ld(c, { "@context": `${API_PREFIX}/contexts/Lead`, ...(await render(ctx, archived)) });
}

const LOOKUP_PARAMS = new Set(["email", "page", "itemsPerPage"]);

/** Middleware on GET /leads: an exact email lookup also lists the archived leads with that email. */
export async function archivedLeadLookup(c: Context<AppEnv>, next: Next) {
  await next();
  // The JSON-LD collection only (not the CSV export of the same path).
  if (c.req.method !== "GET" || c.res.status !== 200 || !c.res.headers.get("Content-Type")?.startsWith("application/ld+json")) return;
  const q = queryOf(c);
  const email = q.all("email");
  if (email.length !== 1 || !q.entries.every(([k]) => LOOKUP_PARAMS.has(k))) return;
  const ctx = context(c);
  const found = (
    await c.env.DB.prepare(`SELECT id FROM archived_leads WHERE email_lower = lower(?1) AND (?2 IS NULL OR publisher_id = ?2) ORDER BY id`)
      .bind(email[0], ctx.isAdmin ? null : ctx.publisherId)
      .all<{ id: number }>()
  ).results;
  if (found.length === 0) return;
  // The filter's exact comparison, as for leads in D1.
  const archived = (await readArchivedLeads(c.env, found.map((r) => r.id))).filter((l) => l.rows.leads[0]!.email === email[0]);
  if (archived.length === 0) return;
  const body = (await c.res.json()) as Record<string, unknown> & { "hydra:member": unknown[]; "hydra:totalItems": number };
  const { page, itemsPerPage } = paging(q);
  const hot = body["hydra:totalItems"];
  // Archived matches come after the D1 ones: positions hot … hot + archived - 1.
  const from = Math.max(0, (page - 1) * itemsPerPage - hot);
  const to = Math.min(archived.length, page * itemsPerPage - hot);
  for (const lead of archived.slice(from, Math.max(from, to))) body["hydra:member"].push(await render(ctx, lead));
  body["hydra:totalItems"] = hot + archived.length;
  const view = partialView(`${API_PREFIX}/leads`, q, page, itemsPerPage, body["hydra:totalItems"]);
  if (view) body["hydra:view"] = view;
  c.res = undefined;
  c.res = ld(c, body);
}
