import { z } from "zod";
import { CAPTURE_LIMITS } from "../../leads/capture-body";
import { DEMO } from "../demo";
import type { MediaType } from "../operation";

// The body of a lead capture, shared by the publisher API and the campaign webhook. Which fields a
// form takes is data (the campaign's forms, from the fields endpoints), so these schemas give the
// shape and limits that src/leads/capture-body.ts enforces; the form's own rules (required fields,
// email, number, date and telephone types) are checked against the form and reported as
// "Validation Failed".

const value = z.union([z.string(), z.number(), z.boolean()]).meta({ description: `At most ${CAPTURE_LIMITS.valueChars} characters.` });
const nested = z.record(z.string(), z.union([value, z.record(z.string(), value)]));

export const captureJsonSchema = z
  .object({ form: z.record(z.string(), z.union([value, nested])) })
  .meta({ description: `{"form": {field: value}}; groups nest: {"form": {"lookup": {"postcode": "…"}}}. At most ${CAPTURE_LIMITS.fields} fields, ${CAPTURE_LIMITS.bodyBytes} bytes.` });

export const captureFormSchema = z
  .record(z.string().regex(/^form(\[[^[\]]+\])+$/), z.string().max(CAPTURE_LIMITS.valueChars))
  .meta({ description: `form[field]=value pairs (groups: form[lookup][postcode]), each name once. At most ${CAPTURE_LIMITS.fields} fields, ${CAPTURE_LIMITS.bodyBytes} bytes.` });

const formPairs = Object.fromEntries([...Object.entries(DEMO.lead).map(([k, v]) => [`form[${k}]`, v]), ["form[submit]", "true"]]);

/** The three encodings of one demo lead on form 35. */
export const captureContent: Partial<Record<MediaType, { schema: string; example: unknown }>> = {
  "application/x-www-form-urlencoded": { schema: "CaptureForm", example: formPairs },
  "multipart/form-data": { schema: "CaptureForm", example: formPairs },
  "application/json": { schema: "CaptureJson", example: { form: { ...DEMO.lead, submit: "true" } } },
};

export const captureRequests = { CaptureForm: captureFormSchema, CaptureJson: captureJsonSchema };

export const idempotencyKeyParam = {
  name: "Idempotency-Key",
  in: "header" as const,
  description:
    "Optional, 1–255 visible ASCII characters. A retry with the same key gets the first answer (with `Idempotent-Replayed: true`) and never a second lead.",
};
