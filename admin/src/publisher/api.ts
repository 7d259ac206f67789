import { getCollection } from "../api/dataProvider";
import { authHeaders } from "../api/session";

/** A form of GET /api/v2.4/publisher/fields/{campaign_id}: the names to post its fields under. */
export interface PublisherForm {
  fields: string[];
  formId: number;
  formName: string;
}

/** The signed-in publisher's contract on a campaign (the API shows a publisher user only its own). */
export interface OwnCampaignPublisher {
  apiKey: string;
  publisher: { id: number; name: string | null };
}

/** What the API Credentials panel shows, read from the API a publisher integrates with. */
export interface ApiCredentialsData {
  contract: OwnCampaignPublisher | null;
  forms: PublisherForm[];
}

/** The publisher API's own error message ({code, message} or OAuth's {error_description}). */
async function publisherApiError(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => ({}))) as { message?: string; error_description?: string };
  return new Error(body.message ?? body.error_description ?? `HTTP ${res.status}`);
}

async function publisherForms(campaignId: number): Promise<PublisherForm[]> {
  const headers = await authHeaders();
  headers.set("Accept", "application/json");
  const res = await fetch(`/api/v2.4/publisher/fields/${campaignId}`, { headers });
  if (!res.ok) throw await publisherApiError(res);
  return (await res.json()) as PublisherForm[];
}

export async function apiCredentials(campaignId: number): Promise<ApiCredentialsData> {
  const [contracts, forms] = await Promise.all([
    getCollection<OwnCampaignPublisher>(`/api/v4/campaign-publishers?campaign.id=${campaignId}`),
    publisherForms(campaignId),
  ]);
  return { contract: contracts.member[0] ?? null, forms };
}
