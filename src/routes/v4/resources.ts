import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { mountHydraDocs } from "../../hydra/docs";
import { mountResource, type ResourceDef } from "../../hydra/resource";
import { adaptorResource } from "./adaptors";
import { advertiserValueTransformResource, advertiserValueTransformValueResource } from "./advertiser-value-transforms";
import { bulkJobResource } from "./bulk-jobs";
import { campaignLinkResource } from "./campaign-links";
import { enterpriseApiKeyResource } from "./enterprise-api-keys";
import { campaignNoteResource } from "./campaign-notes";
import { campaignProcessrJobGroupJobResource } from "./campaign-processr-job-group-jobs";
import { campaignProcessrJobGroupResource } from "./campaign-processr-job-groups";
import { campaignProcessrJobResource } from "./campaign-processr-jobs";
import { campaignPublisherResource, mountCampaignPublisherRotate } from "./campaign-publishers";
import { campaignResource } from "./campaigns";
import { mountPurchaseOrderFile } from "./campaigns-purchase-order-file";
import { categoryResource } from "./categories";
import { countryResource } from "./countries";
import { subcategoryResource } from "./subcategories";
import { mountCampaignDuplicate } from "./campaigns-write";
import { formFieldResource, formResource } from "./forms";
import { leadDataResource, leadEditableFieldResource } from "./lead-datas";
import { leadNoteResource } from "./lead-notes";
import { leadResource } from "./leads";
import { logResource } from "./logs";
import { oauthClientResource } from "./oauth-clients";
import { processrJobLeadResource } from "./processr-job-leads";
import {
  advertiserResource,
  currencyResource,
  leadFlagResource,
  leadQaResultResource,
  publisherResource,
} from "./reference";
import { chronologyResource, statisticsResource } from "./statistics";
import { userResource } from "./users";
import { validationListEntryResource } from "./validation-list-entries";
import { validationListResource } from "./validation-lists";

// Every v4 resource of this surface, in entrypoint order; the docs and contexts are generated
// from the same list.
export const resources: ResourceDef[] = [
  leadResource,
  leadDataResource,
  leadEditableFieldResource,
  leadNoteResource,
  leadFlagResource,
  leadQaResultResource,
  processrJobLeadResource,
  logResource,
  bulkJobResource,
  campaignResource,
  statisticsResource,
  chronologyResource,
  campaignLinkResource,
  campaignPublisherResource,
  campaignNoteResource,
  campaignProcessrJobResource,
  campaignProcessrJobGroupResource,
  campaignProcessrJobGroupJobResource,
  formResource,
  formFieldResource,
  advertiserResource,
  publisherResource,
  currencyResource,
  countryResource,
  categoryResource,
  subcategoryResource,
  userResource,
  oauthClientResource,
  enterpriseApiKeyResource,
  adaptorResource,
  validationListResource,
  validationListEntryResource,
  advertiserValueTransformResource,
  advertiserValueTransformValueResource,
];

export const v4Resources = new Hono<AppEnv>();
mountHydraDocs(v4Resources, resources, {
  title: "leadflare v4 API",
  description: "Convertr-compatible v4 API: leads, campaigns and the configuration of an enterprise (JSON-LD/Hydra).",
});
mountCampaignDuplicate(v4Resources, campaignResource);
mountPurchaseOrderFile(v4Resources, campaignResource);
mountCampaignPublisherRotate(v4Resources);
for (const def of resources) mountResource(v4Resources, def);

/** Mounted last: any other v4 path is a Hydra 404. */
export const v4NotFound = new Hono<AppEnv>();
v4NotFound.all("*", (c) => {
  throw new ApiError("NOT_FOUND", `No route found for "${c.req.method} ${new URL(c.req.url).pathname}".`);
});
