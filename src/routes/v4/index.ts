import { Hono } from "hono";
import { archivedLeadLookup, archivedLeadRoutes } from "../../archive/lead-routes";
import { backfillsRead } from "../../db/backfills";
import type { AppEnv } from "../../env";
import { hydraHeaders } from "../../hydra/jsonld";
import { valueTransformImport } from "./advertiser-value-transform-import";
import { renderHydraError } from "./hydra-errors";
import { connectDiscovery } from "./integrations-connect-discovery";
import { integrationTest } from "./integrations-test";
import { syncTags } from "./integrations-sync-tags";
import { enterpriseApiKeyIssue } from "./enterprise-api-keys";
import { leadsBulk } from "./leads-bulk";
import { leadsExport } from "./leads-export";
import { leadsReprocess } from "./leads-reprocess";
import { processrJobTypes } from "./processr-job-types";
import { v4NotFound, v4Resources } from "./resources";
import { changePassword } from "./users-change-password";
import { validationListEntriesExport } from "./validation-list-entries";
import { validationListImport } from "./validation-list-import";

// The v4 API (JSON-LD/Hydra), mounted at /api/v4. Every error renders as a Hydra error.
export const v4 = new Hono<AppEnv>();
v4.onError(renderHydraError);
v4.use("*", hydraHeaders);
// Which backfills are left (src/db/backfills.ts), for the readers that must not trust their data before.
v4.use("/leads", backfillsRead);
v4.use("/leads/:id{[0-9]+}", backfillsRead);
// Archived leads (src/archive): read from the archive, restored before a write.
v4.use("/leads/:id{[0-9]+}", archivedLeadRoutes);
v4.use("/leads/:id{[0-9]+}/reprocess", archivedLeadRoutes);
v4.use("/leads", archivedLeadLookup);
v4.use("/logs", backfillsRead);
v4.use("/processr-job-leads", backfillsRead);
v4.route("/", changePassword);
v4.route("/", leadsReprocess);
v4.route("/", leadsExport);
v4.route("/", validationListEntriesExport);
v4.route("/", validationListImport);
v4.route("/", leadsBulk);
v4.route("/", enterpriseApiKeyIssue);
v4.route("/", v4Resources);
v4.route("/", connectDiscovery);
v4.route("/", integrationTest);
v4.route("/", syncTags);
v4.route("/", processrJobTypes);
v4.route("/", valueTransformImport);
// Keep this line last: it answers every v4 route not registered above with a Hydra 404.
v4.route("/", v4NotFound);
