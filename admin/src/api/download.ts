// Files the API answers (a CSV export, an uploaded document): its error message, and saving a body.

/** The API's message from a failed call answered with a Hydra error document, or the status line. */
export async function failure(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as Record<string, unknown>;
    const violations = body.violations as { message?: string }[] | undefined;
    return String(violations?.[0]?.message ?? body["hydra:description"] ?? body.description ?? body.detail ?? `HTTP ${res.status}`);
  } catch {
    return `HTTP ${res.status} ${res.statusText}`;
  }
}

/** Saves a body as a download named `filename`. */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
