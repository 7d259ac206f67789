import { demoCampaignWebhookKey, demoLandingPageKey, demoLeadHash } from "../db/seed";

// The values the reference's examples use: the "acme" demo enterprise of demo/enterprises.json,
// which `npm run dev` serves, so that every example and curl sample works there as printed (the
// e2e test test/e2e/openapi.test.ts runs them). On any other deployment they are only examples.

export const DEMO_ENTERPRISE = "acme";

export const DEMO = {
  admin: { username: "admin@acme.test", password: "acme-admin-2026!" },
  /** The publisher user of publisher 12, Northwind Media. */
  publisherUser: { id: 201, username: "api@northwind.test", password: "northwind-2026!" },
  publisherId: 12,
  /** Active campaign 601 with its simple form 35 and email link 25. */
  campaignId: 601,
  formId: 35,
  linkId: 25,
  /** Campaign publisher keys (X-Api-Key) of publisher 12: on campaign 601, and on 603, whose leads are in. */
  apiKey601: "0c463164f0d4fcb604d8fd9f80737476",
  apiKey603: "1f2e3d4c5b6a79800a9b8c7d6e5f4031",
  /** A lead of publisher 12 on campaign 603. */
  leadId: 53001,
  oauthClient: { id: "1_5b0c7f3e1a9d4c2b8e6f0a1d3c5e7b9f", secret: "acme-demo-client-secret-1f6e0d2c9b8a7f6e5d4c3b2a" },
  lead: { firstName: "Danny", lastName: "Hannah", email: "danny.hannah@example.org" },
} as const;

/** The derived demo keys (src/db/seed.ts computes them the same way when it loads the demo). */
export async function demoKeys() {
  return {
    campaignKey: await demoCampaignWebhookKey(DEMO_ENTERPRISE, DEMO.campaignId),
    landingPageKey: await demoLandingPageKey(DEMO_ENTERPRISE, DEMO.campaignId, DEMO.publisherId),
    leadHash: await demoLeadHash(DEMO_ENTERPRISE, DEMO.leadId),
  };
}
export type DemoKeys = Awaited<ReturnType<typeof demoKeys>>;
