import { failure, saveBlob } from "../api/download";
import { authHeaders } from "../api/session";

// CSV files to and from the API: an upload as the "file" of a multipart form (a refused file is a
// 422 whose violations name every bad row) and a download of a CSV the API writes.

/** A refused upload: the API's messages, one per bad row. */
export class CsvRefused extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join("\n"));
  }
}

async function refusal(res: Response): Promise<string[]> {
  const body = (await res.clone().json().catch(() => null)) as { violations?: { message: string }[] } | null;
  return body?.violations?.length ? body.violations.map((v) => v.message) : [await failure(res)];
}

export async function uploadCsv<T>(path: string, file: File, fields: Record<string, string> = {}): Promise<T> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", file);
  const res = await fetch(path, { method: "POST", headers: await authHeaders(), body: form });
  if (!res.ok) throw new CsvRefused(await refusal(res));
  return (await res.json()) as T;
}

/** Saves the CSV at `path` (asked for with Accept: text/csv) as `filename`. */
export async function downloadCsv(path: string, filename: string) {
  const headers = await authHeaders();
  headers.set("Accept", "text/csv");
  const res = await fetch(path, { headers });
  if (!res.ok) throw new Error(await failure(res));
  saveBlob(await res.blob(), filename);
}
