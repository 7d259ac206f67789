import type { QaJobDefinition } from "../types";
import { duplicateEmailCheck } from "./duplicate-email-check";
import { duplicateEmailSamePublisherCheck } from "./duplicate-email-same-publisher-check";
import { fieldLengthCheck } from "./field-length-check";
import { fieldNotEmpty } from "./field-not-empty";
import { firstLastNameCheck } from "./first-last-name-check";
import { firstLastNameLengthCheck } from "./first-last-name-length-check";
import { leadWithinTimePeriod } from "./lead-within-time-period";
import { multipleEmptyFieldsCheck } from "./multiple-empty-fields-check";
import { multipleShortValuesCheck } from "./multiple-short-values-check";
import { nonStandardCharacterCheck } from "./non-standard-character-check";
import { profanityCheck } from "./profanity-check";
import { rapidPostCheck } from "./rapid-post-check";
import { repeatedCharacterCheck } from "./repeated-character-check";
import { repeatedValueCheck } from "./repeated-value-check";
import { requiredValueCheck } from "./required-value-check";
import { simpleConditionalValidation } from "./simple-conditional-validation";
import { telephoneFormatCheck } from "./telephone-format-check";
import { testDataCheck } from "./test-data-check";
import { uniqueIpCheck } from "./unique-ip-check";
import { userOveractivityCheck } from "./user-overactivity-check";
import { validationListCheck } from "./validation-list-check";
import { valueTransforms } from "./value-transforms";
import { vowelCheck } from "./vowel-check";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const all: QaJobDefinition<any>[] = [
  requiredValueCheck,
  duplicateEmailCheck,
  duplicateEmailSamePublisherCheck,
  testDataCheck,
  firstLastNameCheck,
  firstLastNameLengthCheck,
  repeatedCharacterCheck,
  nonStandardCharacterCheck,
  vowelCheck,
  multipleEmptyFieldsCheck,
  multipleShortValuesCheck,
  repeatedValueCheck,
  telephoneFormatCheck,
  profanityCheck,
  rapidPostCheck,
  uniqueIpCheck,
  userOveractivityCheck,
  simpleConditionalValidation,
  fieldNotEmpty,
  fieldLengthCheck,
  leadWithinTimePeriod,
  validationListCheck,
  valueTransforms,
];

// Registry of QA job types by campaign_processr_jobs.type. Null prototype: the type comes from
// v4 writes, and "constructor" or "toString" must not find Object.prototype's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const qaJobs: Record<string, QaJobDefinition<any>> = Object.assign(Object.create(null), Object.fromEntries(all.map((j) => [j.type, j])));
