// The whole domain of one enterprise. Each enterprise is its own deployment with its own D1
// database, so no table carries an enterprise id.
//
// Timestamps are Unix milliseconds (integers): cheap to index and compare, rendered as ISO 8601
// at the API edge. Money is kept as decimal strings, as Convertr renders it ("10.00").
import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  sqliteView,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { AdaptorRow } from "../integrations/http-integration";
import type { JobGroupCondition } from "../processr/job-groups";
import type { ProcessrTrail } from "../processr/trail";

const bool = (name: string) => integer(name, { mode: "boolean" });
const ts = (name: string) => integer(name);
const createdTs = () => ts("created_ts").notNull().default(sql`(unixepoch('subsec') * 1000)`);
const updatedTs = () => ts("updated_ts").notNull().default(sql`(unixepoch('subsec') * 1000)`);

// ---------------------------------------------------------------- reference data

export const currencies = sqliteTable("currencies", {
  id: integer("id").primaryKey(),
  name: text("name").notNull(),
  symbol: text("symbol").notNull(),
  base: bool("base").notNull().default(false),
  rateToBase: text("rate_to_base").notNull().default("1.0000"),
});

export const advertisers = sqliteTable("advertisers", {
  id: integer("id").primaryKey(),
  name: text("name").notNull(),
  createdTs: createdTs(),
  updatedTs: updatedTs(),
});

export const publishers = sqliteTable("publishers", {
  id: integer("id").primaryKey(),
  name: text("name").notNull(),
  createdTs: createdTs(),
  updatedTs: updatedTs(),
});

// ---------------------------------------------------------------- users and authentication

export const USER_ROLES = ["admin", "publisher"] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey(),
    username: text("username").notNull(),
    name: text("name").notNull().default(""),
    // PBKDF2-SHA256: "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>"
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: USER_ROLES }).notNull(),
    publisherId: integer("publisher_id").references(() => publishers.id),
    // A user with a telephone on file must pass SMS multi-factor authentication.
    mfaTelephone: text("mfa_telephone"),
    passwordExpiresTs: ts("password_expires_ts"),
    passwordChangedTs: ts("password_changed_ts"),
    disabled: bool("disabled").notNull().default(false),
    // Bumped when the user's sessions end (src/auth/sessions.ts says when): access tokens carry
    // the value they were issued under and are refused once it moves on.
    tokenVersion: integer("token_version").notNull().default(0),
    // Wrong MFA / reset codes in a row, and the lockout they earn (src/auth/codes.ts).
    codeFailures: integer("code_failures").notNull().default(0),
    codesLockedUntilTs: ts("codes_locked_until_ts"),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [uniqueIndex("users_username_uq").on(t.username)],
);

export const mfaChallenges = sqliteTable(
  "mfa_challenges",
  {
    // SHA-256 of the opaque mfa_token handed to the client.
    id: text("id").primaryKey(),
    userId: integer("user_id").notNull().references(() => users.id),
    codeHash: text("code_hash").notNull(),
    attempts: integer("attempts").notNull().default(0),
    expiresTs: ts("expires_ts").notNull(),
    usedTs: ts("used_ts"),
    createdTs: createdTs(),
  },
  (t) => [index("mfa_challenges_user_idx").on(t.userId)],
);

// The OAuth client of the token endpoint (/oauth/v2/token): one per enterprise, created by its
// migration with random values, shown to admins in v4 (/api/v4/oauth-clients). The client id is
// FOSOAuthServerBundle's "{id}_{randomId}".
export const oauthClients = sqliteTable("oauth_clients", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  randomId: text("random_id").notNull(),
  secret: text("secret").notNull(),
  createdTs: createdTs(),
});

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    // SHA-256 of the opaque refresh token; the token itself is never stored.
    id: text("id").primaryKey(),
    userId: integer("user_id").notNull().references(() => users.id),
    expiresTs: ts("expires_ts").notNull(),
    usedTs: ts("used_ts"),
    revokedTs: ts("revoked_ts"),
    createdTs: createdTs(),
  },
  (t) => [index("refresh_tokens_user_idx").on(t.userId)],
);

export const passwordResets = sqliteTable(
  "password_resets",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id").notNull().references(() => users.id),
    codeHash: text("code_hash").notNull(),
    attempts: integer("attempts").notNull().default(0),
    expiresTs: ts("expires_ts").notNull(),
    usedTs: ts("used_ts"),
    createdTs: createdTs(),
  },
  (t) => [index("password_resets_user_idx").on(t.userId)],
);

// Messages of the local `outbox` SMS provider (never used in production).
export const outboxMessages = sqliteTable("outbox_messages", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  to: text("to").notNull(),
  body: text("body").notNull(),
  createdTs: createdTs(),
});

// ISO 3166-1 countries (alpha-2 codes, every officially assigned one), rows inserted by the
// migration that created the table; campaigns reference them (/api/v4/countries).
export const countries = sqliteTable(
  "countries",
  {
    id: integer("id").primaryKey(),
    iso: text("iso").notNull(),
    name: text("name").notNull(),
  },
  (t) => [uniqueIndex("countries_iso_uq").on(t.iso)],
);

// A campaign's vertical: a subcategory within a category (/api/v4/categories, /api/v4/subcategories).
export const categories = sqliteTable(
  "categories",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [uniqueIndex("categories_name_uq").on(t.name)],
);

export const subcategories = sqliteTable(
  "subcategories",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    categoryId: integer("category_id").notNull().references(() => categories.id),
    name: text("name").notNull(),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [uniqueIndex("subcategories_category_name_uq").on(t.categoryId, t.name)],
);

// ---------------------------------------------------------------- campaigns

export const campaigns = sqliteTable(
  "campaigns",
  {
    id: integer("id").primaryKey(),
    name: text("name").notNull(),
    advertiserId: integer("advertiser_id").notNull().references(() => advertisers.id),
    currencyId: integer("currency_id").notNull().references(() => currencies.id),
    startTs: ts("start_ts").notNull(),
    endTs: ts("end_ts").notNull(),
    leadsRequired: integer("leads_required").notNull().default(0),
    // Administrative state; the status the API shows is derived (src/db/campaign-status.ts).
    paused: bool("paused").notNull().default(false),
    pauseTs: ts("pause_ts"),
    pauseReason: text("pause_reason"),
    contractSigned: bool("contract_signed").notNull().default(true),
    payout: text("payout").notNull().default("CPL"),
    payoutAmount: text("payout_amount").notNull().default("0.00"),
    contractValue: text("contract_value").notNull().default("0.00"),
    defaultPublisherRate: integer("default_publisher_rate").notNull().default(0),
    campaignMarket: text("campaign_market").notNull().default("b2b"),
    defaultThresholdScore: integer("default_threshold_score").notNull().default(70),
    integrate: bool("integrate").notNull().default(true),
    callCentre: bool("call_centre").notNull().default(false),
    doubleOptin: bool("double_optin").notNull().default(false),
    scoreBaseRouting: bool("score_base_routing").notNull().default(false),
    performanceModel: text("performance_model").notNull().default("full"),
    internalOnly: bool("internal_only").notNull().default(false),
    publisherPayoutType: text("publisher_payout_type").notNull().default("CPL"),
    manualScore: bool("manual_score").notNull().default(false),
    useValueTransforms: bool("use_value_transforms").notNull().default(false),
    testMode: bool("test_mode").notNull().default(false),
    holdPublisherOverDelivery: bool("hold_publisher_over_delivery").notNull().default(false),
    uncapped: bool("uncapped").notNull().default(false),
    unavailableCampaignLogic: text("unavailable_campaign_logic").notNull().default("allow_leads"),
    unavailableCampaignRedirectUrl: text("unavailable_campaign_redirect_url"),
    leadProcessDelay: integer("lead_process_delay").notNull().default(0),
    // Days a lead stays in D1 before the archive takes it (src/archive); null: the enterprise's
    // ARCHIVE_AFTER_DAYS.
    archiveAfterDays: integer("archive_after_days"),
    // Campaign webhook key (Convertr's campaign webhook documentation); publisher keys live on campaign_publishers.
    apiKey: text("api_key").notNull(),
    isTemplate: bool("is_template").notNull().default(false),
    // Convertr's campaign type (duplication API): 1 Cleansing & Validation … 9 Other; null when not set.
    campaignType: integer("campaign_type"),
    countryId: integer("country_id").references(() => countries.id),
    subcategoryId: integer("subcategory_id").references(() => subcategories.id),
    // The purchase order document lives in the FILES bucket (src/campaigns/purchase-order-file.ts);
    // its name, type, size and upload time are kept here so that campaign pages never read the bucket.
    purchaseOrderFileName: text("purchase_order_file_name"),
    purchaseOrderFileType: text("purchase_order_file_type"),
    purchaseOrderFileSize: integer("purchase_order_file_size"),
    purchaseOrderFileTs: ts("purchase_order_file_ts"),
    notes: text("notes"),
    signName: text("sign_name"),
    signRole: text("sign_role"),
    signTs: ts("sign_ts"),
    signIoNumber: text("sign_io_number"),
    terms: text("terms").notNull().default(""),
    // Further settings of Convertr's Campaign resource (Convertr's v4 API quick start), editable through /api/v4/campaigns.
    exposePublisher: bool("expose_publisher").notNull().default(false),
    exposePublisherSub: bool("expose_publisher_sub").notNull().default(false),
    welcomeEmail: bool("welcome_email").notNull().default(false),
    sendVoucher: bool("send_voucher").notNull().default(false),
    sendMediakit: bool("send_mediakit").notNull().default(false),
    conversionRate: text("conversion_rate").notNull().default("1.0000"),
    endTsExtension: integer("end_ts_extension").notNull().default(0),
    valueBasedRouting: bool("value_based_routing").notNull().default(false),
    autoSignPublisher: bool("auto_sign_publisher").notNull().default(false),
    variablePublisherPayout: bool("variable_publisher_payout").notNull().default(false),
    useScheduledDelivery: bool("use_scheduled_delivery").notNull().default(false),
    allowPublisherImportExport: bool("allow_publisher_import_export").notNull().default(false),
    publisherTerms: text("publisher_terms"),
    purchaseOrder: text("purchase_order"),
    referenceNumber: text("reference_number"),
    defaultSaleValue: text("default_sale_value").notNull().default("0.00"),
    defaultSaleCurrency: text("default_sale_currency"),
    accountManagerId: integer("account_manager_id").references(() => users.id),
    campaignManagerId: integer("campaign_manager_id").references(() => users.id),
    facebookOfflineEventSetId: text("facebook_offline_event_set_id"),
    facebookSystemUserAccessToken: text("facebook_system_user_access_token"),
    deletedTs: ts("deleted_ts"),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [
    index("campaigns_start_idx").on(t.startTs),
    index("campaigns_end_idx").on(t.endTs),
    index("campaigns_updated_idx").on(t.updatedTs),
    index("campaigns_created_idx").on(t.createdTs),
    index("campaigns_advertiser_idx").on(t.advertiserId),
    index("campaigns_paused_idx").on(t.paused),
    index("campaigns_country_idx").on(t.countryId),
    uniqueIndex("campaigns_api_key_uq").on(t.apiKey),
  ],
);

// Running totals, kept exact by the per-lead Durable Object (each transition moves one lead
// from one bucket to another in the same D1 batch as the status change).
export const campaignStatistics = sqliteTable("campaign_statistics", {
  campaignId: integer("campaign_id").primaryKey().references(() => campaigns.id),
  totalLeads: integer("total_leads").notNull().default(0),
  validLeads: integer("valid_leads").notNull().default(0),
  cautionLeads: integer("caution_leads").notNull().default(0),
  invalidLeads: integer("invalid_leads").notNull().default(0),
  testLeads: integer("test_leads").notNull().default(0),
  billableLeads: integer("billable_leads").notNull().default(0),
  deliveredLeads: integer("delivered_leads").notNull().default(0),
  heldLeads: integer("held_leads").notNull().default(0),
  processingLeads: integer("processing_leads").notNull().default(0),
  impressions: integer("impressions").notNull().default(0),
  conversions: integer("conversions").notNull().default(0),
  clicks: integer("clicks").notNull().default(0),
  lastConversionTs: ts("last_conversion_ts"),
  // statistics.totalSales in minor units (cents), so that the running sum stays exact (src/leads/statistics.ts).
  totalSalesCents: integer("total_sales_cents").notNull().default(0),
});

// Per campaign and UTC day, the same buckets as campaign_statistics.
export const leadStatisticsChronologies = sqliteTable(
  "lead_statistics_chronologies",
  {
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    day: text("day").notNull(), // YYYY-MM-DD
    totalLeads: integer("total_leads").notNull().default(0),
    validLeads: integer("valid_leads").notNull().default(0),
    cautionLeads: integer("caution_leads").notNull().default(0),
    invalidLeads: integer("invalid_leads").notNull().default(0),
    testLeads: integer("test_leads").notNull().default(0),
    billableLeads: integer("billable_leads").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.day] })],
);

export const campaignPublishers = sqliteTable(
  "campaign_publishers",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    publisherId: integer("publisher_id").notNull().references(() => publishers.id),
    apiKey: text("api_key").notNull(),
    // The landing-page key: opens the campaign webhook for this publisher only (leads it captures
    // are credited to this publisher whatever publisherId says). Set on every insert; nullable
    // only because SQLite cannot add a NOT NULL column to existing rows.
    webhookKey: text("webhook_key"),
    // Allocation: the number of billable leads this publisher is contracted for (null = uncapped).
    cap: integer("cap"),
    // Leads holding a place in the allocation: captured within it and still being processed, or
    // publisher-billable. Reserved by capture's write batch, released by the lead object when a
    // lead ends non-billable (src/leads/statistics.ts), so a burst cannot pass the cap.
    reservedLeads: integer("reserved_leads").notNull().default(0),
    payoutAmount: text("payout_amount"),
    signed: bool("signed").notNull().default(true),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [
    uniqueIndex("campaign_publishers_uq").on(t.campaignId, t.publisherId),
    uniqueIndex("campaign_publishers_api_key_uq").on(t.apiKey),
    uniqueIndex("campaign_publishers_webhook_key_uq").on(t.webhookKey),
    index("campaign_publishers_publisher_idx").on(t.publisherId),
  ],
);

export const forms = sqliteTable(
  "forms",
  {
    id: integer("id").primaryKey(),
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    name: text("name").notNull(),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [index("forms_campaign_idx").on(t.campaignId)],
);

export const FIELD_TYPES = ["text", "email", "telephone", "number", "date", "hidden", "submit"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const formFields = sqliteTable(
  "form_fields",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    formId: integer("form_id").notNull().references(() => forms.id),
    // As captured, with nested names in bracket form: "firstName", "lookup[postcode]".
    name: text("name").notNull(),
    type: text("type", { enum: FIELD_TYPES }).notNull().default("text"),
    required: bool("required").notNull().default(false),
    hidden: bool("hidden").notNull().default(false),
    position: integer("position").notNull().default(0),
  },
  (t) => [uniqueIndex("form_fields_uq").on(t.formId, t.name)],
);

export const links = sqliteTable(
  "links",
  {
    id: integer("id").primaryKey(),
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    channel: text("channel").notNull(),
    name: text("name").notNull(),
    destination: text("destination").notNull(),
    enabled: bool("enabled").notNull().default(true),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [index("links_campaign_idx").on(t.campaignId)],
);

// ---------------------------------------------------------------- leads

export const LEAD_FLAGS = ["Valid", "Caution", "Invalid", "Test"] as const;
export type LeadFlag = (typeof LEAD_FLAGS)[number];

// Reference list behind the v4 LeadFlag and LeadQaResult resources, with fixed ids
// (1 Valid, 2 Invalid, 3 Caution, 4 Test; rows inserted by migration 0002's custom companion).
export const leadFlagTypes = sqliteTable("lead_flags", {
  id: integer("id").primaryKey(),
  name: text("name", { enum: LEAD_FLAGS }).notNull(),
});

export const leads = sqliteTable(
  "leads",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    publisherId: integer("publisher_id").notNull().references(() => publishers.id),
    formId: integer("form_id").notNull().references(() => forms.id),
    linkId: integer("link_id").references(() => links.id),
    leadHash: text("lead_hash").notNull(),
    // Processr outcome (null until processed) and the current flag (null until processed,
    // then set by the Processr and changed only through the lead's Durable Object).
    qaResult: text("qa_result", { enum: LEAD_FLAGS }),
    flag: text("flag", { enum: LEAD_FLAGS }),
    processrStatus: integer("processr_status").notNull().default(0),
    score: integer("score").notNull().default(0),
    maxScore: integer("max_score").notNull().default(0),
    hardfail: bool("hardfail").notNull().default(false),
    overAllocation: bool("over_allocation").notNull().default(false),
    advertiserBillable: bool("advertiser_billable").notNull().default(false),
    publisherBillable: bool("publisher_billable").notNull().default(false),
    publisherPayout: text("publisher_payout").notNull().default("0.00"),
    advertiserPayout: text("advertiser_payout").notNull().default("0.00"),
    // Copies of the core captured values, for filtering and for the Lead resource.
    email: text("email"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    telephone: text("telephone"),
    postcode: text("postcode"),
    addressLine1: text("address_line1"),
    addressLine2: text("address_line2"),
    addressLine3: text("address_line3"),
    addressLine4: text("address_line4"),
    publisherSubId: text("publisher_sub_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    // The visitor's country (ISO 3166-1 alpha-2) from Cloudflare at capture; shown as the
    // platform lead data "country" when the form captured none (src/leads/platform-data.ts).
    country: text("country"),
    // The lead's values, compact (src/leads/lead-data-block.ts): a JSON array of entries, those
    // captured with the lead numbered on from data_id; the view lead_datas shows one row per value.
    dataId: integer("data_id"),
    data: text("data"),
    processingCounter: integer("processing_counter").notNull().default(0),
    firstDeliveredTs: ts("first_delivered_ts"),
    // Convertr's "Mark as Other" (Replacement or Other, with a comment), set through the lead object.
    otherReason: text("other_reason", { enum: ["Replacement", "Other"] }),
    otherComment: text("other_comment"),
    deletedTs: ts("deleted_ts"),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [
    // Every capture writes one entry in each index below (D1 counts each as a row written), so
    // the list keeps only indexes that some query plans with; those that duplicated another were
    // dropped (migration 0007).
    uniqueIndex("leads_hash_uq").on(t.leadHash),
    index("leads_campaign_idx").on(t.campaignId, t.id),
    index("leads_publisher_idx").on(t.publisherId, t.id),
    // The only email index, over live leads: the Processr's case-insensitive lookups (duplicate
    // checks within a campaign, overactivity within a window) and v4's exact `email` filter (which
    // adds the exact comparison on top) all search lower(email). With created_ts it outranks the
    // campaign index for "earlier leads of this campaign with this email" (which scanned the campaign).
    index("leads_email_lower_idx").on(sql`lower(${t.email})`, t.createdTs).where(sql`deleted_ts IS NULL`),
    // v4's updatedTs filters, over the leads the Processr is done with (its outcome, a hold or a
    // failure); leads_unprocessed_idx finds the others, so a range is searched in both halves
    // (src/routes/v4/leads.ts updatedTsFilter). Partial: capture's insert writes no entry, and the
    // outcome one (not two) (issue 18).
    index("leads_processed_updated_idx").on(t.updatedTs).where(sql`processr_status >= 500`),
    // The sweeper's leads not yet processed (src/processr/sweeper.ts). Partial: a lead leaves it
    // at its final status, so the final flag writes one entry instead of two and processed leads
    // take no room in it (issue 18). Queries must say processr_status < 500 to use it.
    index("leads_unprocessed_idx").on(t.processrStatus).where(sql`processr_status < 500`),
    // v4 lists only live leads: partial indexes over them keep filtered counts index-only.
    index("leads_live_created_idx").on(t.createdTs).where(sql`deleted_ts IS NULL`),
    index("leads_live_campaign_created_idx").on(t.campaignId, t.createdTs).where(sql`deleted_ts IS NULL`),
    index("leads_live_publisher_campaign_idx").on(t.publisherId, t.campaignId, t.createdTs).where(sql`deleted_ts IS NULL`),
    // Rapid Post / Unique IP checks (live leads of an IP in a time window). Partial like the
    // campaign index, so that the planner prefers it for ip + campaign + window lookups.
    index("leads_ip_created_idx").on(t.ip, t.createdTs).where(sql`deleted_ts IS NULL`),
    // No index on publisher_billable: capture counts a publisher's allocation from
    // campaign_publishers.reserved_leads, and no query filters on it (issue 18 dropped one).
    // A value's lead by its id (v4 lead-datas by id): the block with the last data_id at or before it.
    index("leads_data_id_idx").on(t.dataId).where(sql`data_id IS NOT NULL`),
  ],
);

// A lead's values are kept on its row (leads.data, src/leads/lead-data-block.ts); the view
// lead_datas shows them one row per value, with these columns.
const leadDataColumns = () => ({
  id: integer("id").primaryKey({ autoIncrement: true }),
  leadId: integer("lead_id").notNull().references(() => leads.id),
  name: text("name").notNull(),
  value: text("value").notNull(),
  // "core.data" for captured values, "system" for values the platform sets (leadHash, ...).
  type: text("type").notNull().default("core.data"),
  createdTs: createdTs(),
  updatedTs: updatedTs(),
});

// The ids of values added to a lead after capture (an edit's new name, lead append, value
// transforms, an enrichment), whose entries carry their id: a value's lead by its id. Its
// sequence numbers every value, captured blocks included (capture moves it on by a block's length).
export const leadDataIds = sqliteTable("lead_data_ids", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  leadId: integer("lead_id").notNull().references(() => leads.id),
}, (t) => [index("lead_data_ids_lead_idx").on(t.leadId)]);

// A view: writes through it are passed on by triggers (an upsert cannot go
// through a view: src/leads/lead-data-block.ts has the statements that set a value by name).
export const leadDatas = sqliteView("lead_datas", leadDataColumns()).existing();

// A view over lead_note_rows (below) with the columns the table had; writes through it are
// passed on by triggers, which store a note the view can rebuild without its words.
export const leadNotes = sqliteView("lead_notes", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  leadId: integer("lead_id").notNull().references(() => leads.id),
  userId: integer("user_id").references(() => users.id),
  // Who made the change when it was not a user: "processr", "sync:<enterprise url>", ...
  author: text("author").notNull(),
  note: text("note").notNull(),
  fromFlag: text("from_flag"),
  toFlag: text("to_flag"),
  reason: text("reason"),
  createdTs: createdTs(),
}).existing();

// The rows behind the view lead_notes (docs/storage.md). A note the view can rebuild is
// stored without its words: note is null and note_text names the trail text (trail_texts) that
// the row's own to_flag, reason and author fill in, as the Processr's outcome note is.
export const leadNoteRows = sqliteTable(
  "lead_note_rows",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    leadId: integer("lead_id").notNull().references(() => leads.id),
    userId: integer("user_id").references(() => users.id),
    author: text("author").notNull(),
    note: text("note"),
    fromFlag: text("from_flag"),
    toFlag: text("to_flag"),
    reason: text("reason"),
    createdTs: createdTs(),
    noteText: integer("note_text"),
  },
  (t) => [index("lead_note_rows_lead_idx").on(t.leadId, t.id)],
);

// Contract changes of a campaign's publishers (signed, unsigned, allocation), as Convertr's notes
// record them; written in the same batch as the change.
export const campaignNotes = sqliteTable(
  "campaign_notes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    // Not a foreign key: the note outlives a deleted contract.
    campaignPublisherId: integer("campaign_publisher_id"),
    userId: integer("user_id").references(() => users.id),
    author: text("author").notNull(),
    note: text("note").notNull(),
    createdTs: createdTs(),
  },
  (t) => [index("campaign_notes_campaign_idx").on(t.campaignId, t.id)],
);

// Submitted Idempotency-Key values of lead capture, with the first response.
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    // "<publisherId>:<key>"
    key: text("key").primaryKey(),
    requestHash: text("request_hash").notNull(),
    leadId: integer("lead_id").references(() => leads.id),
    responseStatus: integer("response_status").notNull(),
    responseBody: text("response_body").notNull(),
    createdTs: createdTs(),
  },
  // The archive finds, unlinks and restores a lead's keys by lead, and deleting an archived lead
  // checks its foreign key here: without it each is a scan of every key ever taken. Partial: an
  // archived lead's unlinked keys (lead_id null) need no entry.
  (t) => [index("idempotency_keys_lead_idx").on(t.leadId).where(sql`${t.leadId} IS NOT NULL`)],
);

// ---------------------------------------------------------------- processr

export const campaignProcessrJobs = sqliteTable(
  "campaign_processr_jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    // Job type key, e.g. "required_value_check" (src/processr/jobs/index.ts).
    type: text("type").notNull(),
    label: text("label").notNull(),
    score: integer("score").notNull().default(0),
    hardfail: bool("hardfail").notNull().default(false),
    enabled: bool("enabled").notNull().default(true),
    position: integer("position").notNull().default(0),
    config: text("config", { mode: "json" }).notNull().$type<Record<string, unknown>>().default({}),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [index("campaign_processr_jobs_campaign_idx").on(t.campaignId, t.position)],
);

export const JOB_RESULT_STATUSES = ["passed", "failed", "not_run"] as const;
export type JobResultStatus = (typeof JOB_RESULT_STATUSES)[number];

// Job results. The QA jobs' results of a run are kept in its trail (log_lines.trail,
// src/processr/trail.ts); the others (integration deliveries, results written before migration
// 0024) are rows of job_results. The view processr_job_leads shows both with these columns.
const jobResultColumns = () => ({
  id: integer("id").primaryKey({ autoIncrement: true }),
  leadId: integer("lead_id").notNull().references(() => leads.id),
  campaignProcessrJobId: integer("campaign_processr_job_id")
    .notNull()
    .references(() => campaignProcessrJobs.id),
  status: text("status", { enum: JOB_RESULT_STATUSES }).notNull(),
  // What every reader of the result sees (publishers included).
  message: text("message").notNull().default(""),
  // The admin-only detail when it says more than a publisher may know (a duplicate's matches).
  detail: text("detail"),
  score: integer("score").notNull().default(0),
  startedTs: ts("started_ts").notNull(),
  finishedTs: ts("finished_ts").notNull(),
});

export const jobResults = sqliteTable("job_results", jobResultColumns(), (t) => [
  uniqueIndex("job_results_uq").on(t.leadId, t.campaignProcessrJobId),
  // A job's results in id order (v4 processr-job-leads by job): a page reads its rows alone.
  index("job_results_job_idx").on(t.campaignProcessrJobId, t.id),
]);

// How many results and log lines each job has on each publisher's visible leads, by kind:
// "trail:<status>" (the uncleared QA results of leads' latest runs), "trail:other" (the trails'
// other job lines: earlier runs, cleared results), "result:<status>" (rows of job_results),
// "log:<type>" (log lines of their own; publisher 0: lines without a lead). Kept by triggers on
// log_lines, job_results and leads (migration 0044), so that a job's hydra:totalItems is a sum of
// a few rows instead of a count over every trail of its campaigns; a queue batch's runs by the
// batch's own upsert, the trigger held off by the row (0, 0, 'deferred') meanwhile (migration 0045).
export const processrJobCounts = sqliteTable(
  "processr_job_counts",
  {
    campaignProcessrJobId: integer("campaign_processr_job_id").notNull(),
    publisherId: integer("publisher_id").notNull(),
    kind: text("kind").notNull(),
    n: integer("n").notNull().default(0),
    // Of a trail kind: the first and last run (log_lines id) that can hold its lines, which only
    // widen (migration 0047); the walk of a job's results and logs reads no run outside them.
    firstRun: integer("first_run"),
    lastRun: integer("last_run"),
  },
  (t) => [primaryKey({ columns: [t.campaignProcessrJobId, t.publisherId, t.kind] })],
);

// A backfill the Worker still has to do (src/maintenance/backfills.ts): the lead ids from next_id
// to last_id (the highest when its migration ran; later rows are kept as they are written). Its
// row goes once done, so an empty table is a database with nothing left to backfill.
export const backfills = sqliteTable("backfills", {
  name: text("name").primaryKey(),
  nextId: integer("next_id").notNull(),
  lastId: integer("last_id").notNull(),
});

// A view (migration 0025): writes go to job_results (INSERT and DELETE on it are passed on by triggers).
export const processrJobLeads = sqliteView("processr_job_leads", jobResultColumns()).existing();

// The texts compact Processr trails name by id (src/processr/trail-texts.ts, same ids; append only).
export const trailTexts = sqliteTable("trail_texts", {
  id: integer("id").primaryKey(),
  text: text("text").notNull(),
});

// A job's label before a rename or delete (triggers on campaign_processr_jobs): compact trails do
// not store labels, and a run written up to until_log_id (log_lines' sequence at the change) shows
// the label its job had then. No foreign key: the job may be gone.
export const campaignProcessrJobLabels = sqliteTable(
  "campaign_processr_job_labels",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaignProcessrJobId: integer("campaign_processr_job_id").notNull(),
    label: text("label").notNull(),
    untilLogId: integer("until_log_id").notNull(),
  },
  (t) => [index("campaign_processr_job_labels_job_idx").on(t.campaignProcessrJobId, t.untilLogId)],
);

// Every campaign a Processr job has been on (triggers on campaign_processr_jobs, migration 0032):
// a job's results and logs are on leads of these campaigns only, so reading them by job goes
// through those campaigns' leads (leads_campaign_idx, then log_lines_lead_idx) instead of
// expanding every Processr trail in the database. Kept after a move or delete: the results stay.
export const campaignProcessrJobCampaigns = sqliteTable(
  "campaign_processr_job_campaigns",
  {
    campaignProcessrJobId: integer("campaign_processr_job_id").notNull(),
    campaignId: integer("campaign_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignProcessrJobId, t.campaignId] })],
);

// Job groups (Convertr's Processr job groups): jobs of one campaign of which at most one runs on a
// lead, the first (by member position) whose conditions the lead meets; the group's score stands
// for its members' and counts once (src/processr/job-groups.ts).
export const campaignProcessrJobGroups = sqliteTable(
  "campaign_processr_job_groups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    name: text("name").notNull(),
    score: integer("score").notNull().default(0),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [index("campaign_processr_job_groups_campaign_idx").on(t.campaignId)],
);

// A job's membership of a group (campaignProcessrJobGroupJob): a job is in at most one group; it
// leaves the group when either is deleted.
export const campaignProcessrJobGroupJobs = sqliteTable(
  "campaign_processr_job_group_jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    groupId: integer("group_id")
      .notNull()
      .references(() => campaignProcessrJobGroups.id, { onDelete: "cascade" }),
    campaignProcessrJobId: integer("campaign_processr_job_id")
      .notNull()
      .references(() => campaignProcessrJobs.id, { onDelete: "cascade" }),
    position: integer("position").notNull().default(0),
    // Every condition must hold; none means the member matches every lead (a group's fallback).
    conditions: text("conditions", { mode: "json" }).notNull().$type<JobGroupCondition[]>().default([]),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [
    uniqueIndex("campaign_processr_job_group_jobs_job_uq").on(t.campaignProcessrJobId),
    index("campaign_processr_job_group_jobs_group_idx").on(t.groupId, t.position),
  ],
);

export const LOG_TYPES = ["processr", "provider"] as const;
export type LogType = (typeof LOG_TYPES)[number];

// Log lines. A Processr run's lines are ONE row whose trail holds them (src/processr/trail.ts);
// every other line (provider calls, status changes) is a row of its own. The view logs shows
// them all, one row per line, with these columns.
const logColumns = () => ({
  id: integer("id").primaryKey({ autoIncrement: true }),
  type: text("type", { enum: LOG_TYPES }).notNull(),
  leadId: integer("lead_id").references(() => leads.id),
  campaignId: integer("campaign_id").references(() => campaigns.id),
  campaignProcessrJobId: integer("campaign_processr_job_id"),
  level: text("level").notNull().default("info"),
  message: text("message").notNull(),
  // Structured detail: request/response of provider calls, job outcome, duration.
  context: text("context", { mode: "json" }).$type<Record<string, unknown>>(),
  createdTs: createdTs(),
});

export const logLines = sqliteTable(
  "log_lines",
  { ...logColumns(), trail: text("trail", { mode: "json" }).$type<ProcessrTrail>() },
  (t) => [
    index("log_lines_lead_idx").on(t.leadId, t.id),
    // Lines by type (v4 logs' type filter) among rows of their own: the view logs reads a trail's
    // lines without it (their type is the view's constant), so trails stay out of it (issue 18).
    index("log_lines_type_idx").on(t.type, t.id).where(sql`trail IS NULL`),
    // A campaign's runs in id order, and a job's lines of their own in id order: the page of a
    // job's results or logs walks them and stops after the page (v4 processr-job-leads and logs).
    index("log_lines_campaign_trail_idx").on(t.campaignId, t.id).where(sql`trail IS NOT NULL`),
    index("log_lines_job_idx").on(t.campaignProcessrJobId, t.id).where(sql`trail IS NULL AND campaign_processr_job_id IS NOT NULL`),
  ],
);

// A view (migration 0025): writes go to log_lines (INSERT and DELETE on it are passed on by triggers).
export const logs = sqliteView("logs", logColumns()).existing();

// ---------------------------------------------------------------- sync tags and integrations

// A named field mapping that HTTP integrations share by id (config.adaptorId) instead of carrying
// their own rows inline; same row shape as the inline config.fields.
export const adaptors = sqliteTable("adaptors", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  fields: text("fields", { mode: "json" }).notNull().$type<AdaptorRow[]>(),
  /** Sends every captured value under its own name instead of mapped rows (what a POST integration without a mapping sent). */
  sendAllValues: bool("send_all_values").notNull().default(false),
  createdTs: createdTs(),
  updatedTs: updatedTs(),
});

// ---------------------------------------------------------------- value transforms

// An advertiser's value transform rules (Convertr's AdvertiserValueTransformField), applied by the
// Processr before the QA jobs on campaigns with use_value_transforms (src/processr/value-transforms.ts).
// Each writes its result into new_field_name, never over a captured value.
export const VALUE_TRANSFORM_TYPES = ["Transform", "Manipulation"] as const;
export type ValueTransformType = (typeof VALUE_TRANSFORM_TYPES)[number];

export const advertiserValueTransforms = sqliteTable(
  "advertiser_value_transforms",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    advertiserId: integer("advertiser_id").notNull().references(() => advertisers.id),
    label: text("label").notNull(),
    type: text("type", { enum: VALUE_TRANSFORM_TYPES }).notNull(),
    originalFieldName: text("original_field_name").notNull(),
    newFieldName: text("new_field_name").notNull(),
    // Manipulation only (concatenate, replace, case, hash and their settings); null for a Transform.
    manipulation: text("manipulation", { mode: "json" }).$type<Record<string, unknown>>(),
    position: integer("position").notNull().default(0),
    enabled: bool("enabled").notNull().default(true),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [
    index("advertiser_value_transforms_advertiser_idx").on(t.advertiserId, t.position),
    // Two rules writing the same field of a lead would overwrite each other's result.
    uniqueIndex("advertiser_value_transforms_new_field_uq").on(t.advertiserId, t.newFieldName),
  ],
);

// A Transform's value table (Convertr's AdvertiserValueTransformValue): a known original value and
// the value written for it. Matched trimmed and ignoring ASCII case, the expression the unique
// index is built on (the Processr looks values up through it).
export const advertiserValueTransformValues = sqliteTable(
  "advertiser_value_transform_values",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    transformId: integer("advertiser_value_transform_id")
      .notNull()
      .references(() => advertiserValueTransforms.id, { onDelete: "cascade" }),
    originalValue: text("original_value").notNull(),
    newValue: text("new_value").notNull(),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [uniqueIndex("advertiser_value_transform_values_uq").on(t.transformId, sql`lower(trim(original_value))`)],
);

// Receiving side: an upstream enterprise asked to be told about status changes of a lead.
export const syncSubscriptions = sqliteTable(
  "sync_subscriptions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    leadId: integer("lead_id").notNull().references(() => leads.id),
    campaignPublisherId: integer("campaign_publisher_id")
      .notNull()
      .references(() => campaignPublishers.id),
    callbackUrl: text("callback_url").notNull(),
    // Standard Webhooks secret, "whsec_<base64>".
    secret: text("secret").notNull(),
    disabledTs: ts("disabled_ts"),
    createdTs: createdTs(),
  },
  (t) => [index("sync_subscriptions_lead_idx").on(t.leadId)],
);

// Events a lead's Durable Object has committed, and their delivery to each subscriber.
export const leadEvents = sqliteTable(
  "lead_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    leadId: integer("lead_id").notNull().references(() => leads.id),
    type: text("type").notNull(),
    payload: text("payload", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    createdTs: createdTs(),
  },
  (t) => [index("lead_events_lead_idx").on(t.leadId, t.id)],
);

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    // The webhook-id header, stable across retries.
    id: text("id").primaryKey(),
    eventId: integer("event_id").notNull().references(() => leadEvents.id),
    subscriptionId: integer("subscription_id").notNull().references(() => syncSubscriptions.id),
    leadId: integer("lead_id").notNull().references(() => leads.id),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptTs: ts("next_attempt_ts"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    deliveredTs: ts("delivered_ts"),
    createdTs: createdTs(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_uq").on(t.eventId, t.subscriptionId),
    index("webhook_deliveries_lead_idx").on(t.leadId, t.status),
  ],
);

// Sending side: webhook ids already accepted, so that a replayed callback changes nothing.
export const webhookReceipts = sqliteTable("webhook_receipts", {
  id: text("id").primaryKey(),
  receivedTs: createdTs(),
});

// One row per (lead, integration job): the at-most-once record of an outbound delivery.
export const integrationDeliveries = sqliteTable(
  "integration_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    leadId: integer("lead_id").notNull().references(() => leads.id),
    campaignProcessrJobId: integer("campaign_processr_job_id")
      .notNull()
      .references(() => campaignProcessrJobs.id),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    idempotencyKey: text("idempotency_key").notNull(),
    remoteLeadId: text("remote_lead_id"),
    remoteLeadHash: text("remote_lead_hash"),
    responseValue: text("response_value"),
    // Secret of the sync-tag subscription placed for this delivery (Convertr Connect).
    syncSecret: text("sync_secret"),
    // When the client accepted the sync-tag subscription of this delivery (null: no tag there).
    syncPlacedTs: ts("sync_placed_ts"),
    // A worker holding the delivery until this time: two copies of one queue message never call out together.
    leaseUntilTs: ts("lease_until_ts"),
    // Who took the lease (a random token per claim): a claim whose answer was lost knows its own by it.
    claimToken: text("claim_token"),
    // Highest client event id applied through a sync tag: late, out-of-order callbacks change nothing.
    lastSyncEventId: integer("last_sync_event_id"),
    lastError: text("last_error"),
    createdTs: createdTs(),
    updatedTs: updatedTs(),
  },
  (t) => [
    uniqueIndex("integration_deliveries_uq").on(t.leadId, t.campaignProcessrJobId),
    index("integration_deliveries_remote_idx").on(t.remoteLeadId),
  ],
);

// "Place Sync Tags" of a Convertr Connect job (Convertr's Connect help article), once an admin has used the action: placed
// (removed_ts null) or removed. Without a row the job's config.syncTags decides.
export const syncTagStates = sqliteTable("sync_tag_states", {
  campaignProcessrJobId: integer("campaign_processr_job_id").primaryKey().references(() => campaignProcessrJobs.id),
  placedTs: ts("placed_ts").notNull(),
  removedTs: ts("removed_ts"),
  updatedTs: updatedTs(),
});

// Enterprise-level API keys, issued by an admin (/api/v4/enterprise-api-keys) for the campaign
// duplication API (POST /duplicate-campaign, header x-api-key). Only a SHA-256 of the key is kept.
export const enterpriseApiKeys = sqliteTable(
  "enterprise_api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    keyHash: text("key_hash").notNull(),
    createdBy: integer("created_by").references(() => users.id),
    revokedTs: ts("revoked_ts"),
    createdTs: createdTs(),
  },
  (t) => [uniqueIndex("enterprise_api_keys_hash_uq").on(t.keyHash)],
);

// ---------------------------------------------------------------- archive

// One archive file being written (status writing) or written and its leads removed from D1 (done):
// leads/campaign=<campaignId>/month=<month>/batch-<id>.ndjson.gz in the ARCHIVE bucket (src/archive).
export const archiveBatches = sqliteTable(
  "archive_batches",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    month: text("month").notNull(), // YYYY-MM of the leads' created_ts (UTC)
    leadIds: text("lead_ids", { mode: "json" }).notNull().$type<number[]>(),
    status: text("status", { enum: ["writing", "done"] }).notNull().default("writing"),
    // The run writing the batch holds it until then (a lease: a run that died is taken over later).
    claimedTs: ts("claimed_ts"),
    // The gzip file's SHA-256 (hex) and size, once written and read back.
    sha256: text("sha256"),
    bytes: integer("bytes"),
    createdTs: createdTs(),
    doneTs: ts("done_ts"),
  },
  (t) => [index("archive_batches_status_idx").on(t.status)],
);

// A lead that lives in the archive: what lookups need (id, hash, email, publisher) without reading R2.
export const archivedLeads = sqliteTable(
  "archived_leads",
  {
    id: integer("id").primaryKey(), // the lead's id
    leadHash: text("lead_hash").notNull(),
    emailLower: text("email_lower"),
    campaignId: integer("campaign_id").notNull().references(() => campaigns.id),
    publisherId: integer("publisher_id").notNull(),
    createdTs: ts("created_ts").notNull(),
    batchId: integer("batch_id").notNull().references(() => archiveBatches.id),
  },
  (t) => [
    uniqueIndex("archived_leads_hash_uq").on(t.leadHash),
    index("archived_leads_email_idx").on(t.emailLower),
    index("archived_leads_batch_idx").on(t.batchId),
  ],
);

// A sync tag of an archived lead (a delivery of it that carries a sync secret): the client's
// callbacks name the lead by its id at the client, and this row leads the receiver to its archive
// file (src/archive/sync-tags.ts). It goes with the lead's index row.
export const archivedSyncTags = sqliteTable(
  "archived_sync_tags",
  {
    remoteLeadId: text("remote_lead_id").notNull(),
    leadId: integer("lead_id").notNull().references(() => archivedLeads.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.remoteLeadId, t.leadId] })],
);

// ---------------------------------------------------------------- validation lists

export const VALIDATION_LIST_KINDS = ["email", "domain", "phone"] as const;
export type ValidationListKind = (typeof VALIDATION_LIST_KINDS)[number];

// Enterprise-wide suppression lists of emails, email domains or telephone numbers, checked by the
// validation_list_check job (src/processr/jobs/validation-list-check.ts). An erasure list (emails
// only) is the GDPR one: adding an email to it also erases that person's leads (src/lists/erasure.ts).
export const validationLists = sqliteTable("validation_lists", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  kind: text("kind", { enum: VALIDATION_LIST_KINDS }).notNull(),
  erasure: bool("erasure").notNull().default(false),
  createdTs: createdTs(),
  updatedTs: updatedTs(),
});

export const validationListEntries = sqliteTable(
  "validation_list_entries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    listId: integer("list_id").notNull().references(() => validationLists.id, { onDelete: "cascade" }),
    // Normalised for its list's kind (src/lists/normalise.ts), so that a lookup is one exact match.
    value: text("value").notNull(),
    createdTs: createdTs(),
  },
  (t) => [
    // One entry per value and list; also the list's page order and its count.
    uniqueIndex("validation_list_entries_uq").on(t.listId, t.value),
    // The job's lookup: the values of a whole queue batch against every list at once.
    index("validation_list_entries_value_idx").on(t.value),
  ],
);

// ---------------------------------------------------------------- bulk lead operations

export const BULK_OPERATIONS = ["flag", "deliver", "undeliver", "metadata", "reprocess", "delete"] as const;
export type BulkOperation = (typeof BULK_OPERATIONS)[number];

// One bulk request (/api/v4/leads-bulk-*): its leads are bulk_job_items, worked through on the
// bulk queue one batch at a time; the counters are recounted from the items after each batch.
export const bulkJobs = sqliteTable("bulk_jobs", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  operation: text("operation", { enum: BULK_OPERATIONS }).notNull(),
  // The operation's parameters (flag and reason, metadata and comment).
  params: text("params", { mode: "json" }).notNull().$type<Record<string, string | null>>(),
  userId: integer("user_id").references(() => users.id),
  author: text("author").notNull(),
  status: text("status", { enum: ["running", "done"] }).notNull().default("running"),
  total: integer("total").notNull().default(0),
  done: integer("done").notNull().default(0),
  failed: integer("failed").notNull().default(0),
  batches: integer("batches").notNull().default(0),
  createdTs: createdTs(),
  updatedTs: updatedTs(),
  finishedTs: ts("finished_ts"),
});

export const bulkJobItems = sqliteTable(
  "bulk_job_items",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    jobId: integer("job_id").notNull().references(() => bulkJobs.id),
    // The queue message that handles the item; -1 for rows refused when the job was created.
    batch: integer("batch").notNull(),
    // Not a foreign key: an unknown id or hash from the request is recorded as given (input).
    leadId: integer("lead_id"),
    input: text("input"),
    status: text("status", { enum: ["pending", "done", "failed"] }).notNull().default("pending"),
    message: text("message"),
  },
  (t) => [index("bulk_job_items_batch_idx").on(t.jobId, t.batch, t.status), index("bulk_job_items_status_idx").on(t.jobId, t.status)],
);

export type User = typeof users.$inferSelect;
export type Campaign = typeof campaigns.$inferSelect;
export type Lead = typeof leads.$inferSelect;
export type CampaignProcessrJob = typeof campaignProcessrJobs.$inferSelect;
