import { httpClient } from "../api/dataProvider";
import { downloadCsv, uploadCsv } from "../csv/upload";

// The validation-list calls the generated data provider does not make: adding an entry (its answer
// is the entry, already listed or new), the CSV import and the CSV export of a list's entries.

export interface ValidationListRecord {
  id: string;
  originId: number;
  name: string;
  kind: "email" | "domain" | "phone";
  erasure: boolean;
  entries: number;
}

interface ImportResult {
  values: number;
  added: number;
  alreadyListed: number;
}

export const addEntry = (list: ValidationListRecord, value: string) =>
  httpClient(new URL("/api/v4/validation-list-entries", window.location.origin), {
    method: "POST",
    body: JSON.stringify({ validationList: list.id, value }),
  });

export async function importEntries(list: ValidationListRecord, file: File): Promise<string> {
  const r = await uploadCsv<ImportResult>(`/api/v4/validation-lists/${list.originId}/import`, file);
  return `${r.values} values imported: ${r.added} added, ${r.alreadyListed} already listed`;
}

export const exportEntries = (list: ValidationListRecord) =>
  downloadCsv(`/api/v4/validation-list-entries?validationList.id=${list.originId}`, `validation-list-${list.originId}.csv`);
