import type { ResourceGuesserProps } from "@api-platform/admin";
import { leads } from "./leads";
import { campaignsByRole } from "./publisher";
import { publishers } from "./publishers";
import { users } from "./users";
import { validationLists } from "./validation-lists";
import { valueTransforms } from "./value-transforms";

/**
 * Hand-written screens, by resource name (one folder per resource). Every other collection of the
 * API documentation gets API Platform Admin's generated screens, so none is left out of the console.
 */
export const SCREENS = new Map<string, ResourceGuesserProps>([
  [campaignsByRole.name, campaignsByRole],
  [leads.name, leads],
  [users.name, users],
  [publishers.name, publishers],
  [validationLists.name, validationLists],
  [valueTransforms.name, valueTransforms],
]);
