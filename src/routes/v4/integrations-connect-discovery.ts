import { Hono } from "hono";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { ld } from "../../hydra/jsonld";
import { readJsonObject, unprocessable, validate } from "../../hydra/write";
import { campaignFormsAndLinks, type ClientFailure, clientExtensions } from "../../integrations/convertr-client";
import { connectCredentials, convertrConnectTarget, SYNC_TAGS_UNAVAILABLE } from "../../integrations/convertr-connect";

// POST /api/v4/convertr-connect/discover {subdomain | enterpriseUrl, clientId, clientSecret, apiKey,
// publisherId, campaignId}: the Convertr Connect setup screen (Convertr's Connect help article). With the client's
// credentials it gets a token (API-key grant) and lists the campaign's forms, with their fields
// for the mapping table, and links for the optional link dropdown, from the documented publisher
// API only. A wrong subdomain or URL, client, key or campaign is a 422 violation on that property;
// an unreachable client is a 502 that says which property names it. It also says whether the
// client offers sync tags (leadflare's extension).

/** A failure of the client as this endpoint reports it. */
function discoveryError(f: ClientFailure): ApiError {
  if (f.transient || f.field === null) return new ApiError("BAD_GATEWAY", f.message);
  return unprocessable([{ propertyPath: f.field, message: f.message }]);
}

export const connectDiscovery = new Hono<AppEnv>();

connectDiscovery.post("/convertr-connect/discover", authenticate(), requireAdmin, async (c) => {
  const input = validate(convertrConnectTarget, await readJsonObject(c, "json"));
  const creds = connectCredentials(input);
  const found = await campaignFormsAndLinks(c.env, creds, input.campaignId);
  if (!found.ok) throw discoveryError(found.failure);
  const extensions = await clientExtensions(c.env, creds);
  const syncTags = "syncSubscriptions" in extensions && extensions.syncSubscriptions
    ? { available: true, message: "The client offers sync tags." }
    : { available: false, message: `Leads can be delivered, but ${"syncSubscriptions" in extensions ? SYNC_TAGS_UNAVAILABLE : extensions.message}.` };
  return ld(c, {
    "@type": "ConvertrConnectDiscovery",
    baseUrl: creds.baseUrl,
    campaignId: input.campaignId,
    publisherId: input.publisherId,
    forms: found.forms.map((f) => ({
      formId: f.formId,
      formName: f.formName,
      // "form[lookup][postcode]" → mapping key "lookup[postcode]"; submit buttons carry no data.
      fields: f.fields
        .map((key) => ({ key, name: key.replace(/^form\[([^\]]+)\]/, "$1") }))
        .filter((f) => f.name !== "submit"),
    })),
    links: found.links,
    syncTags,
  });
});
