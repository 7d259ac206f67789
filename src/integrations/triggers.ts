import { z } from "zod";
import { LEAD_FLAGS, type LeadFlag } from "../db/schema";

// When an integration job acts on a lead (Convoso Connect: "trigger based on specific events").
// Each event is checked against the lead's state when the job is queued and again when it runs; a
// job acts at most once per lead (integration_deliveries is unique on lead + job), so each trigger
// fires exactly once per lead, however often its event is reported.
//   leadProcessed  the Processr made the lead Valid (the default, and what every job did before)
//   leadCreated    the lead was captured (when its Processr run starts, whatever the outcome)
//   flagChanged    the lead's flag changed to one of `triggerFlags` (the first such change)
//   leadDelivered  another integration delivered the lead

export const TRIGGER_EVENTS = ["leadProcessed", "leadCreated", "flagChanged", "leadDelivered"] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

export interface IntegrationTrigger {
  event: TriggerEvent;
  flags: readonly LeadFlag[];
}

/** The config keys of a job's trigger, with defaults that keep configs written before triggers valid. */
export const triggerConfig = {
  trigger: z.enum(TRIGGER_EVENTS).default("leadProcessed"),
  triggerFlags: z.array(z.enum(LEAD_FLAGS)).max(LEAD_FLAGS.length).default([]),
};

/** The violations of a trigger pair (flags exactly with flagChanged), for a config's superRefine. */
export function triggerIssues(c: { trigger: TriggerEvent; triggerFlags: readonly LeadFlag[] }): { path: string[]; message: string }[] {
  if (c.trigger === "flagChanged" && c.triggerFlags.length === 0) {
    return [{ path: ["triggerFlags"], message: `Name the flags that trigger the job (${LEAD_FLAGS.join(", ")}).` }];
  }
  if (c.trigger !== "flagChanged" && c.triggerFlags.length > 0) {
    return [{ path: ["triggerFlags"], message: 'Only with the trigger "flagChanged".' }];
  }
  return [];
}

export const DEFAULT_TRIGGER: IntegrationTrigger = { event: "leadProcessed", flags: [] };

/** What of a lead a trigger looks at. */
export interface TriggerLead {
  flag: string | null;
  deletedTs: number | null;
  firstDeliveredTs: number | null;
}

/** Whether the job may act on the lead now: its event has happened and the lead is live. */
export function triggerHolds(trigger: IntegrationTrigger, lead: TriggerLead): boolean {
  if (lead.deletedTs !== null) return false;
  switch (trigger.event) {
    case "leadProcessed":
      return lead.flag === "Valid";
    case "leadCreated":
      return true;
    case "flagChanged":
      return trigger.flags.some((f) => f === lead.flag);
    case "leadDelivered":
      return lead.firstDeliveredTs !== null;
  }
}
