// What a delivery to the client's CRM leaves on a lead, and what publishers are told of it. The
// job's label, the CRM's URL, the credentials in its query and the CRM's answer are the client's
// business: the job result's message and the lead note's text are one generic outcome line, which
// everybody reads; the detail (job result `detail`, note `reason`) and provider logs are for admins.

/** Author of the lead note a finished delivery writes: `integration:<job type>`. */
const NOTE_AUTHOR_PREFIX = "integration:";

/** The label a publisher sees instead of an integration job's own. */
export const DELIVERY_LABEL = "Delivery to the client";

/** The one line everybody reads about a delivery. */
export const deliveryLine = (delivered: boolean) => (delivered ? "Delivered to the client." : "Not delivered to the client.");

/** The lead note of a finished delivery: the generic line, with the job and the CRM's answer as its reason. */
export const deliveryNote = (jobType: string, delivered: boolean, label: string, message: string) => ({
  author: `${NOTE_AUTHOR_PREFIX}${jobType}`,
  note: deliveryLine(delivered),
  reason: `${label}: ${message}`,
});

/**
 * The lead note of a finished enrichment pull (a GET integration that adds the vendor's value to
 * the lead): which lead data was added, or that none was; the vendor's answer is the reason.
 */
export const enrichmentNote = (jobType: string, added: { name: string } | undefined, label: string, message: string) => ({
  author: `${NOTE_AUTHOR_PREFIX}${jobType}`,
  note: added ? `Lead data "${added.name}" added by an integration.` : "No lead data added by an integration.",
  reason: `${label}: ${message}`,
});

/** Whether a lead note was written by a delivery (its reason is for admins only). */
export const isDeliveryNote = (n: { author: string }) => n.author.startsWith(NOTE_AUTHOR_PREFIX);
