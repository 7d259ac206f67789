import { duplicateEmailJob } from "./lib/duplicate-email";

export const duplicateEmailCheck = duplicateEmailJob({
  type: "duplicate_email_check",
  catalogueId: 1001,
  name: "Duplicate Email Check",
  samePublisher: false,
});
