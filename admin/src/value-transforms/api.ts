import { httpClient } from "../api/dataProvider";
import { downloadCsv, uploadCsv } from "../csv/upload";
import type { TransformRecord } from "./rules";

// A Transform's value table rows one at a time, and as a whole by CSV (two columns: original
// value, new value): "merge" adds and updates rows, "replace" makes the file the whole table.

export type ImportMode = "merge" | "replace";

interface ImportResult {
  rows: number;
  created: number;
  updated: number;
  removed: number;
}

export const addValue = (rule: TransformRecord, originalValue: string, newValue: string) =>
  httpClient(new URL("/api/v4/advertiser-value-transform-values", window.location.origin), {
    method: "POST",
    body: JSON.stringify({ advertiserValueTransform: rule.id, originalValue, newValue }),
  });

export async function importValues(rule: TransformRecord, file: File, mode: ImportMode): Promise<string> {
  const r = await uploadCsv<ImportResult>("/api/v4/advertiser-value-transform-imports", file, { advertiserValueTransform: rule.id, mode });
  return `${r.rows} rows imported: ${r.created} added, ${r.updated} updated${mode === "replace" ? `, ${r.removed} removed` : ""}`;
}

export const exportValues = (rule: TransformRecord) =>
  downloadCsv(`/api/v4/advertiser-value-transforms/${rule.originId}/values.csv`, `value-transform-${rule.originId}.csv`);
