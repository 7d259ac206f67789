import { duplicateEmailJob } from "./lib/duplicate-email";

export const duplicateEmailSamePublisherCheck = duplicateEmailJob({
  type: "duplicate_email_same_publisher_check",
  catalogueId: 1091,
  name: "Duplicate Email For Same Publisher",
  samePublisher: true,
});
