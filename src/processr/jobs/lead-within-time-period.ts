import { z } from "zod";
import { isoTs } from "../../http/iso-time";
import type { QaJobDefinition } from "../types";
import { fieldName, wholeNumber } from "./lib/config";
import { fieldValue, isBlank } from "./lib/fields";
import { fail, pass, plural, q } from "./lib/outcome";

const DAY = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A `YYYY-MM-DD` date as the span of that UTC day, or an ISO 8601 date-time with offset as an instant. */
function parseWhen(s: string): { from: number; to: number } | undefined {
  const t = s.trim();
  const d = DATE.exec(t);
  if (d) {
    const from = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
    // Rejects dates that roll over ("2026-02-30").
    if (new Date(from).toISOString().slice(0, 10) !== t) return undefined;
    return { from, to: from + DAY - 1 };
  }
  if (DATETIME.test(t)) {
    const at = Date.parse(t);
    return Number.isNaN(at) ? undefined : { from: at, to: at };
  }
  return undefined;
}

const when = z
  .string()
  .trim()
  .refine((s) => parseWhen(s) !== undefined, "expected a YYYY-MM-DD date or an ISO 8601 date-time with offset");

const configSchema = z
  .strictObject({
    /** "createdTs" (when the lead was captured) or a captured date field (YYYY-MM-DD). */
    field: fieldName.default("createdTs"),
    /** Earliest accepted date or date-time; a date means from the start of that day (UTC). */
    start: when.optional(),
    /** Latest accepted date or date-time; a date means up to the end of that day (UTC). */
    end: when.optional(),
    /** Relative window ("not older than 1 week" = 7): the date may be at most this many days before processing. */
    maxAgeDays: wholeNumber(1, 36_500).optional(),
  })
  .refine((c) => c.start !== undefined || c.end !== undefined || c.maxAgeDays !== undefined, {
    message: "set start, end or maxAgeDays",
  })
  .refine((c) => !c.start || !c.end || parseWhen(c.start)!.from <= parseWhen(c.end)!.to, {
    message: "start must not be after end",
    path: ["end"],
  });


export const leadWithinTimePeriod: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "lead_within_time_period",
  catalogueId: null,
  name: "Lead Within Time Period",
  configSchema,
  run(lead, config, ctx) {
    let field = config.field;
    let span: { from: number; to: number } | undefined;
    if (config.field.toLowerCase() === "createdts") {
      span = { from: lead.createdTs, to: lead.createdTs };
    } else {
      const fv = fieldValue(lead, config.field);
      field = fv.field;
      if (isBlank(fv.value)) return fail(`${q(field)} has no date`);
      span = parseWhen(fv.value!);
      if (!span) return fail(`${q(field)} is not a YYYY-MM-DD date: ${q(fv.value!)}`);
    }
    // A date-only value covers its whole day: it is within the period if any part of the day is.
    const shown = span.from === span.to ? isoTs(span.from) : isoTs(span.from).slice(0, 10);
    if (config.start && span.to < parseWhen(config.start)!.from) return fail(`${q(field)} ${shown} is before ${config.start}`);
    if (config.end && span.from > parseWhen(config.end)!.to) return fail(`${q(field)} ${shown} is after ${config.end}`);
    if (config.maxAgeDays !== undefined && span.to < ctx.now - config.maxAgeDays * DAY) {
      return fail(`${q(field)} ${shown} is more than ${plural(config.maxAgeDays, "day")} old`);
    }
    return pass(`${q(field)} ${shown} is within the period`);
  },
};
