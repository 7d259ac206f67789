import { getCollection } from "../api/dataProvider";
import { apiCall, type JobRecord } from "../processr/api";

// The integration windows' calls: the Convertr Connect credential check (discovery through the
// client's documented publisher API), the campaign's own form fields for the mapping, the HTTP
// integration's test action and its logs.

export interface IntegrationWindowProps {
  campaignId: number;
  /** The job being configured; absent when it is being added. */
  job?: JobRecord;
  onClose: () => void;
}

export interface ConnectDiscovery {
  baseUrl: string;
  forms: { formId: number; formName: string; fields: { key: string; name: string }[] }[];
  links: { id: number; name: string; channel: string }[];
  syncTags: { available: boolean; message: string };
}

export const discoverConnect = (credentials: Record<string, unknown>) =>
  apiCall<ConnectDiscovery>("/api/v4/convertr-connect/discover", "POST", credentials);

/** The field names the campaign's own forms capture (the right-hand side of the mapping). */
export async function campaignFieldNames(campaignId: number): Promise<string[]> {
  const forms = await getCollection<{ id: number }>(`/api/v4/forms?campaign.id=${campaignId}&itemsPerPage=100`);
  const fields = await Promise.all(
    forms.member.map((f) => getCollection<{ name: string }>(`/api/v4/form-fields?form.id=${f.id}&itemsPerPage=100`)),
  );
  return [...new Set(fields.flatMap((c) => c.member.map((f) => f.name)).filter((n) => n !== "submit"))];
}

/** One row of a field mapping: the lead field, the outgoing key(s), the value sent when the lead has none. */
export interface AdaptorRow {
  field: string;
  mappedTo: string;
  defaultValue: string;
}

/** A shared field mapping (/api/v4/adaptors) that HTTP integrations name by id; required for POST. */
export interface Adaptor {
  id: number;
  name: string;
  fields: AdaptorRow[];
  sendAllValues: boolean;
}

export const listAdaptors = async () => (await getCollection<Adaptor>("/api/v4/adaptors?itemsPerPage=100&order[id]=asc")).member;
export const createAdaptor = (data: Pick<Adaptor, "name" | "fields" | "sendAllValues">) => apiCall<Adaptor>("/api/v4/adaptors", "POST", data);

export interface TestResult {
  outcome: string;
  message: string;
  statusCode: number | null;
  responseValue: string | null;
  log: string | null;
}

export const testIntegration = (jobIri: string, leadId: number) => apiCall<TestResult>(`${jobIri}/test`, "POST", { lead: leadId });

/** The campaign's most recent lead, which the Test section fills in. */
export async function latestLeadId(campaignId: number): Promise<number | null> {
  const { member } = await getCollection<{ id: number }>(`/api/v4/leads?campaign.id=${campaignId}&order[id]=desc&itemsPerPage=1`);
  return member[0]?.id ?? null;
}

export interface LogRow {
  id: number;
  lead: string | null;
  level: string;
  message: string;
  createdTs: string;
  context: { outcome?: string; response?: { status: number | null; body: string | null }; test?: boolean } | null;
}

export const integrationLogs = (jobId: number, page: number) =>
  getCollection<LogRow>(`/api/v4/logs?type=provider&campaignProcessrJob.id=${jobId}&order[id]=desc&itemsPerPage=20&page=${page}`);

/** A Convertr Connect job's sync tags (GET/POST/DELETE …/sync-tags). */
export interface SyncTagState {
  placed: boolean;
  placedTs: string | null;
  removedTs: string | null;
  coveredLeads: number;
  untaggedLeads: number;
}

export const syncTagState = (jobIri: string) => apiCall<SyncTagState>(`${jobIri}/sync-tags`, "GET");
export const placeSyncTags = (jobIri: string) => apiCall<SyncTagState>(`${jobIri}/sync-tags`, "POST");
export const removeSyncTags = (jobIri: string) => apiCall<SyncTagState>(`${jobIri}/sync-tags`, "DELETE");
