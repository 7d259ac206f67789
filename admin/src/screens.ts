import type { ResourceGuesserProps } from "@api-platform/admin";
import { campaigns } from "./campaigns";
import { leads } from "./leads";

/**
 * Hand-written screens, by resource name (one folder per resource). Every other collection of the
 * API documentation gets API Platform Admin's generated screens, so none is left out of the console.
 */
export const SCREENS = new Map<string, ResourceGuesserProps>([
  [campaigns.name, campaigns],
  [leads.name, leads],
]);
