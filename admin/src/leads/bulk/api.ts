import { httpClient } from "../../api/dataProvider";
import type { BulkOperation } from "./operations";

// Starting a bulk job (202 with the job) and reading its progress (GET /api/v4/bulk-jobs/{id}).

/** The leads a job is about: the selected rows (IRIs), or a v4 lead filter query string. */
export type BulkScope = { leads: string[] } | { filter: string };

export interface BulkJobError {
  lead: string | null;
  input: string | null;
  message: string | null;
}

export interface BulkJob {
  "@id": string;
  id: number;
  operation: BulkOperation;
  status: "running" | "done";
  total: number;
  done: number;
  failed: number;
  pending: number;
  errors: BulkJobError[];
}

const url = (path: string) => new URL(path, window.location.origin);

export async function startBulkJob(operation: BulkOperation, scope: BulkScope, fields: Record<string, unknown>): Promise<BulkJob> {
  const { json } = await httpClient(url(`/api/v4/leads-bulk-${operation}`), {
    method: "POST",
    body: JSON.stringify({ ...scope, ...fields }),
  });
  return json as BulkJob;
}

export async function readBulkJob(iri: string): Promise<BulkJob> {
  const { json } = await httpClient(url(iri));
  return json as BulkJob;
}
