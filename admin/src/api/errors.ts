/** The API's own message for a failed call (react-admin HttpError, fetch error, or anything else). */
export function apiMessage(e: unknown): string {
  if (e && typeof e === "object") {
    const body = (e as { body?: unknown }).body;
    // fetchHydra's HttpError carries the expanded error document; the violations are the most precise.
    const expanded = Array.isArray(body) ? (body[0] as Record<string, { "@value"?: string }[]> | undefined) : undefined;
    const description = expanded?.["http://www.w3.org/ns/hydra/core#description"]?.[0]?.["@value"];
    if (description) return description;
    if (e instanceof Error && e.message) return e.message;
  }
  return String(e);
}
