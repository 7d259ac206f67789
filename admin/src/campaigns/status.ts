/** The campaign statuses the API derives and filters on (status[]). */
export const CAMPAIGN_STATUSES = ["Active", "Inactive", "Ended", "Paused", "Setup Required"] as const;
