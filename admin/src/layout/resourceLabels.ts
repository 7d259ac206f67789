/**
 * Singular and plural names for collections whose path does not read as English once humanised
 * (react-admin would show "Lead-datas" and title a record "Lead-data 12").
 */
const LABELS = new Map<string, [string, string]>([
  ["lead-datas", ["Lead data", "Lead data"]],
  ["lead-qa-results", ["Lead QA result", "Lead QA results"]],
  ["lead-statistics-chronologies", ["Lead statistics day", "Lead statistics by day"]],
  ["statistics", ["Campaign statistics", "Campaign statistics"]],
  ["oauth-clients", ["OAuth client", "OAuth clients"]],
  ["enterprise-api-keys", ["Enterprise API key", "Enterprise API keys"]],
  ["processr-job-leads", ["Processr job result", "Processr job results"]],
  ["campaign-processr-jobs", ["Processr job", "Processr jobs"]],
  ["campaign-processr-job-groups", ["Processr job group", "Processr job groups"]],
  ["campaign-processr-job-group-jobs", ["Processr job group member", "Processr job group members"]],
]);

/** "campaign-links" → "Campaign link" / "Campaign links"; "currencies" → "Currency". */
function humanise(name: string): [string, string] {
  const words = name.replace(/[-_]+/g, " ");
  const plural = words.charAt(0).toUpperCase() + words.slice(1);
  const singular = plural.replace(/ies$/, "y").replace(/([^s])s$/, "$1");
  return [singular, plural];
}

/**
 * A resource's `options.label` in react-admin's "singular |||| plural" form: react-admin passes it
 * through its translator with the count, so the menu gets the plural and a record's title the singular.
 */
export function resourceLabel(name: string): string {
  const [singular, plural] = LABELS.get(name) ?? humanise(name);
  return `${singular} |||| ${plural}`;
}
