import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { rememberVerifiedKey } from "../auth/verified-keys";
import { getDb } from "../db/client";
import { advertisers, campaigns, currencies, users } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError, toApiError, type Violation } from "../errors";
import { parseJsonStrict, readBodyText } from "../http/body";
import { money } from "../hydra/write";
import { copyCampaign } from "./v4/campaigns-write";
import { findEnterpriseKey } from "./v4/enterprise-api-keys";

// POST /duplicate-campaign: Convertr's Campaign Duplication API. JSON body, header x-api-key with an
// enterprise-level key (issued by an admin through /api/v4/enterprise-api-keys); 201 {"campaignId"}.
// Errors are {"code","message"} and, for a refused body, "errors": [{"field","message"}] naming
// each field.
//
// What the include flags copy: includePublisher the source's publishers (contracts with fresh API
// and landing-page keys), includeLinks its tracking links, includeLandingPageForm its forms and
// their fields, includeValueTransforms its value-transform setting (the transforms themselves are
// the advertiser's and shared). The Processr jobs (the campaign's QA) are always copied.
// leadflare has no campaign permissions, creative assets or payout bands to copy: asking for them
// is a 422 rather than a copy that silently lacks them.

const DAY_MS = 86_400_000;
const date = z.iso.date("Expected a date YYYY-MM-DD.");
const flag = z.boolean().default(false);
const UNSUPPORTED = new Map([
  ["includePermissions", "leadflare has no campaign permissions to copy (publishers reach a campaign through their contracts: includePublisher)."],
  ["includeCreativeAssets", "leadflare has no creative assets to copy."],
  ["includePayoutBands", "leadflare has no payout bands to copy."],
]);

const bodySchema = z
  .object({
    campaignName: z.string().trim().min(1, "This value should not be blank.").max(255),
    campaignType: z.number().int().min(1, "Expected a campaign type from 1 to 9.").max(9, "Expected a campaign type from 1 to 9."),
    campaignId: z.number().int().positive(),
    payout: money,
    startDate: date,
    endDate: date,
    currency: z.string().regex(/^[A-Z]{3}$/, "Expected an ISO 4217 currency code."),
    leadsRequired: z.number().int().min(0),
    advertiserId: z.number().int().positive().optional(),
    accountManager: z.number().int().positive().optional(),
    campaignManager: z.number().int().positive().optional(),
    testMode: z.boolean().optional(),
    internalOnly: z.boolean().optional(),
    includePermissions: flag,
    includePublisher: flag,
    includeCreativeAssets: flag,
    includeLandingPageForm: flag,
    includeLinks: flag,
    includePayoutBands: flag,
    includeValueTransforms: flag,
  })
  .strict();

const refused = (errors: { field: string; message: string }[]) =>
  new ApiError("UNPROCESSABLE", errors.map((e) => `${e.field}: ${e.message}`).join("\n"), {
    violations: errors.map((e) => ({ propertyPath: e.field, message: e.message })),
  });

function render(e: Error, c: Context<AppEnv>) {
  const err = toApiError(e);
  const errors = err.detail.violations?.map((v: Violation) => ({ field: v.propertyPath, message: v.message }));
  return c.json({ code: err.status, message: err.message, ...(errors ? { errors } : {}) }, err.status, err.detail.headers);
}

/** The body, validated: each problem named by its field (an unknown field by its own name). */
function parseBody(raw: unknown) {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ApiError("BAD_REQUEST", "The request body must be a JSON object.");
  const r = bodySchema.safeParse(raw);
  if (r.success) return r.data;
  throw refused(
    r.error.issues.flatMap((i) =>
      i.code === "unrecognized_keys" ? i.keys.map((k) => ({ field: k, message: "This field is not expected." })) : [{ field: i.path.map(String).join("."), message: i.message }],
    ),
  );
}

export const duplicateCampaign = new Hono<AppEnv>();
duplicateCampaign.onError(render);

duplicateCampaign.post("/", async (c) => {
  const key = c.req.header("x-api-key");
  if (!key) throw new ApiError("UNAUTHORIZED", "An x-api-key header with an enterprise API key is required.");
  if (!(await findEnterpriseKey(c.env, key))) throw new ApiError("UNAUTHORIZED", "The API key is not valid.");
  rememberVerifiedKey(key);
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json.");
  const body = parseBody(parseJsonStrict(await readBodyText(c)));

  const startTs = Date.parse(body.startDate);
  const endTs = Date.parse(body.endDate) + DAY_MS - 1000; // the end date is the campaign's last day
  const db = getDb(c.env);
  const [source, currency, advertiser, managers] = await db.batch([
    db.select().from(campaigns).where(and(eq(campaigns.id, body.campaignId), isNull(campaigns.deletedTs))),
    db.select({ id: currencies.id }).from(currencies).where(eq(currencies.name, body.currency)),
    db.select({ id: advertisers.id }).from(advertisers).where(eq(advertisers.id, body.advertiserId ?? 0)),
    db.select({ id: users.id }).from(users).where(inArray(users.id, [body.accountManager ?? 0, body.campaignManager ?? 0])),
  ]);
  const known = new Set(managers.map((u) => u.id));
  const problems = [
    ...[...UNSUPPORTED].filter(([name]) => body[name as keyof typeof body] === true).map(([field, message]) => ({ field, message })),
    ...(source.length ? [] : [{ field: "campaignId", message: `Campaign ${body.campaignId} not found.` }]),
    ...(currency.length ? [] : [{ field: "currency", message: `The currency ${body.currency} is not set up on this enterprise.` }]),
    ...(body.advertiserId === undefined || advertiser.length ? [] : [{ field: "advertiserId", message: `Advertiser ${body.advertiserId} not found.` }]),
    ...(["accountManager", "campaignManager"] as const)
      .filter((k) => body[k] !== undefined && !known.has(body[k]!))
      .map((field) => ({ field, message: `User ${body[field]} not found.` })),
    ...(endTs <= startTs ? [{ field: "endDate", message: "endDate must not be before startDate." }] : []),
  ];
  if (problems.length) throw refused(problems);

  const src = source[0]!;
  const campaignId = await copyCampaign(
    db,
    src,
    {
      name: body.campaignName,
      startTs,
      endTs,
      forms: body.includeLandingPageForm,
      processrJobs: true,
      links: body.includeLinks,
      publishers: body.includePublisher,
      overrides: {
        campaignType: body.campaignType,
        payout: "CPL",
        payoutAmount: body.payout,
        currencyId: currency[0]!.id,
        leadsRequired: body.leadsRequired,
        advertiserId: body.advertiserId ?? src.advertiserId,
        accountManagerId: body.accountManager ?? src.accountManagerId,
        campaignManagerId: body.campaignManager ?? src.campaignManagerId,
        testMode: body.testMode ?? src.testMode,
        internalOnly: body.internalOnly ?? src.internalOnly,
        useValueTransforms: body.includeValueTransforms && src.useValueTransforms,
      },
    },
    Date.now(),
  );
  return c.json({ campaignId }, 201);
});

duplicateCampaign.all("/", () => {
  throw new ApiError("METHOD_NOT_ALLOWED", "Only POST is allowed.", { headers: { Allow: "POST" } });
});
