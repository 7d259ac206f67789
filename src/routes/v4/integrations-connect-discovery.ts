import { Hono } from "hono";
import { z } from "zod";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { ApiError, type Violation } from "../../errors";
import { ld } from "../../hydra/jsonld";
import { readJsonObject, unprocessable, validate } from "../../hydra/write";
import { clientMessage, convertrConnectConfig } from "../../integrations/convertr-connect";
import { fetchOutbound, type OutboundResult } from "../../integrations/outbound-fetch";
import { checkOutboundUrl, OutboundUrlError } from "../../integrations/outbound-url";

// POST /api/v4/convertr-connect/discover {enterpriseUrl, apiKey, publisherId, campaignId}
// The Convertr Connect setup screen (seed 000): with the client's credentials, lists the client
// campaign's forms (with their fields, for the mapping table) and links (for the optional link
// dropdown), from the client's publisher API. Wrong credentials come back as a 422 violation on
// the property that is wrong.

const bodySchema = convertrConnectConfig.pick({ enterpriseUrl: true, apiKey: true, publisherId: true, campaignId: true });

interface ClientForm {
  formId: number;
  formName: string;
  fields: string[];
}

const unreachable = (url: string, r: OutboundResult) =>
  new ApiError("BAD_GATEWAY", `The client enterprise at ${url} did not answer properly: ${r.ok ? `HTTP ${r.status}: ${clientMessage(r.body)}` : r.message}`);

const violation = (propertyPath: string, message: string): Violation => ({ propertyPath, message });

export const connectDiscovery = new Hono<AppEnv>();

connectDiscovery.post("/convertr-connect/discover", authenticate(), requireAdmin, async (c) => {
  const input = validate(bodySchema, await readJsonObject(c, "json"));
  let base: URL;
  try {
    base = checkOutboundUrl(c.env, input.enterpriseUrl);
  } catch (e) {
    if (e instanceof OutboundUrlError) throw unprocessable([violation("enterpriseUrl", e.message)]);
    throw e;
  }
  const get = (path: string) =>
    fetchOutbound(new URL(input.enterpriseUrl + path), {
      headers: { Accept: "application/json", "X-Api-Key": input.apiKey },
    });
  const badKey = () => unprocessable([violation("apiKey", "The client enterprise rejected this API key.")]);

  // Whose key is it? Lets us say which of campaign and publisher is wrong.
  const who = await get("/api/sync/credentials");
  if (who.ok && who.status === 401) throw badKey();
  if (who.ok && who.status === 200) {
    const owner = JSON.parse(who.body) as { campaignId: number; publisherId: number };
    const wrong: Violation[] = [];
    if (owner.campaignId !== input.campaignId) {
      wrong.push(violation("campaignId", `The API key is for campaign ${owner.campaignId}, not ${input.campaignId}.`));
    }
    if (owner.publisherId !== input.publisherId) {
      wrong.push(violation("publisherId", `The API key is for publisher ${owner.publisherId}, not ${input.publisherId}.`));
    }
    if (wrong.length) throw unprocessable(wrong);
  } else if (!who.ok || who.status >= 500) {
    throw unreachable(base.origin, who);
  }

  const [fields, links] = await Promise.all([
    get(`/api/v2.4/publisher/fields/${input.campaignId}`),
    get(`/api/v2.4/publisher/links/${input.campaignId}`),
  ]);
  for (const r of [fields, links]) {
    if (r.ok && r.status === 401) throw badKey();
    if (r.ok && (r.status === 403 || r.status === 404)) {
      throw unprocessable([violation("campaignId", `Campaign ${input.campaignId} is not available to this API key at the client.`)]);
    }
    if (!r.ok || r.status !== 200) throw unreachable(base.origin, r);
  }
  let forms: ClientForm[];
  let clientLinks: { id: number; name: string; channel: string; destination: string }[];
  try {
    forms = z.array(z.object({ formId: z.number(), formName: z.string(), fields: z.array(z.string()) })).parse(JSON.parse((fields as { body: string }).body));
    clientLinks = z
      .array(z.object({ id: z.number(), name: z.string(), channel: z.string(), destination: z.string() }))
      .parse(JSON.parse((links as { body: string }).body));
  } catch {
    throw new ApiError("BAD_GATEWAY", `The client enterprise at ${base.origin} answered with an unexpected fields or links document.`);
  }
  return ld(c, {
    "@type": "ConvertrConnectDiscovery",
    enterpriseUrl: input.enterpriseUrl,
    campaignId: input.campaignId,
    publisherId: input.publisherId,
    forms: forms.map((f) => ({
      formId: f.formId,
      formName: f.formName,
      // "form[lookup][postcode]" → mapping key "lookup[postcode]"; submit buttons carry no data.
      fields: f.fields
        .map((key) => ({ key, name: key.replace(/^form\[([^\]]+)\]/, "$1") }))
        .filter((f) => f.name !== "submit"),
    })),
    links: clientLinks,
  });
});
