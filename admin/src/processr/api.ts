import { getCollection } from "../api/dataProvider";
import { authHeaders } from "../api/session";

// The Processr screen's reads and writes of the v4 API: a campaign's jobs, the job types with
// their config's JSON Schema, per-job result counts, and job writes (PUT replaces the keys given).

/** A campaign-processr-job as the API answers it ("@id" its IRI, id its number). */
export interface JobRecord {
  "@id": string;
  id: number;
  type: string;
  label: string;
  score: number;
  hardfail: boolean;
  enabled: boolean;
  position: number;
  config: Record<string, unknown>;
  processrJob: { name: string; kind: "qa" | "integration" | null };
  /** Its job group membership, if any (admins read the group's name and score and the conditions). */
  campaignProcessrJobGroupJob?: {
    campaignProcessrJobGroup: { "@id": string; name: string; score: number };
    position: number;
    conditions?: { field: string; values: string[] }[];
  }[];
}

/** A JSON Schema as zod emits it for a job's config (the subset the generated form reads). */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
}

export interface JobType {
  type: string;
  name: string;
  kind: "qa" | "integration";
  catalogueId: number | null;
  configSchema: JsonSchema;
}

/** A failed v4 call, with the API's own message (each violation with the property it names). */
export class ApiCallError extends Error {}

function errorMessage(status: number, body: Record<string, unknown> | null): string {
  const violations = (body?.violations ?? []) as { propertyPath: string; message: string }[];
  if (violations.length) return violations.map((v) => (v.propertyPath ? `${v.propertyPath}: ${v.message}` : v.message)).join("\n");
  return String(body?.["hydra:description"] ?? body?.description ?? body?.detail ?? `HTTP ${status}`);
}

/**
 * A JSON call of the v4 API for the Processr and integration screens, whose action answers (the
 * Connect discovery, an integration test) are not Hydra items; failures throw ApiCallError.
 */
export async function apiCall<T>(path: string, method: string, body?: unknown): Promise<T> {
  const headers = await authHeaders();
  if (body !== undefined) headers.set("Content-Type", "application/ld+json");
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  if (!res.ok) throw new ApiCallError(errorMessage(res.status, json));
  return json as T;
}

export const campaignJobs = (campaignId: number) =>
  getCollection<JobRecord>(`/api/v4/campaign-processr-jobs?campaign.id=${campaignId}&order[position]=asc&itemsPerPage=100`);

export const jobTypes = () => getCollection<JobType>("/api/v4/processr-job-types");

export interface JobStatistics {
  total: number;
  passed: number;
  failed: number;
}

/** Total, passed and failed results of one job, from the counts of its processr-job-leads. */
export async function jobStatistics(jobId: number): Promise<JobStatistics> {
  const count = async (status?: string) =>
    (await getCollection(`/api/v4/processr-job-leads?campaignProcessrJob.id=${jobId}&itemsPerPage=1${status ? `&status=${status}` : ""}`)).totalItems;
  const [total, passed, failed] = await Promise.all([count(), count("passed"), count("failed")]);
  return { total, passed, failed };
}

export type JobWrite = Partial<Pick<JobRecord, "label" | "score" | "hardfail" | "enabled" | "position" | "config">>;

export const createJob = (campaignId: number, type: string, data: JobWrite) =>
  apiCall<JobRecord>("/api/v4/campaign-processr-jobs", "POST", { campaign: `/api/v4/campaigns/${campaignId}`, type, ...data });

export const updateJob = (jobIri: string, data: JobWrite) => apiCall<JobRecord>(jobIri, "PUT", data);
