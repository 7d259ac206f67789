import type { BulkOperation, LeadFlag } from "../db/schema";
import type { Env } from "../env";
import { setLeadOtherReason, transitionLead } from "../leads/client";
import type { TransitionRequest, TransitionResult } from "../leads/types";
import { requestReprocess } from "../processr/run";

// What each bulk operation does to one lead, always through the lead's Durable Object (the single
// writer of its status): the object writes the note and the sync-tag events with the change, and
// a repeated call changes nothing (a flag already set, a lead already deleted), so a batch that is
// run again after a crash is harmless. Reprocess is the exception: a repeat runs the Processr once more.

export interface BulkJobRef {
  operation: BulkOperation;
  params: Record<string, string | null>;
  userId: number | null;
  author: string;
}

/** A lead of a batch as read with it (the flag decides deliver/undeliver). */
export interface BulkLead {
  id: number;
  flag: LeadFlag | null;
}

export type ItemOutcome = { ok: boolean; message: string };

/** Delivered = Valid or Test (Convertr's definition: both are passed to the client). */
export const isDelivered = (flag: LeadFlag | null) => flag === "Valid" || flag === "Test";

const outcome = (r: TransitionResult): ItemOutcome =>
  r.ok
    ? { ok: true, message: r.changed ? `${r.from ?? "Unprocessed"} → ${r.to}.` : `Already ${r.to}; nothing changed.` }
    : { ok: false, message: r.message };

function transition(env: Env, job: BulkJobRef, lead: BulkLead, req: Pick<TransitionRequest, "to" | "source" | "reason" | "onlyFrom">) {
  return transitionLead(env, { leadId: lead.id, userId: job.userId, author: job.author, ...req }).then(outcome);
}

export async function applyToLead(env: Env, job: BulkJobRef, lead: BulkLead): Promise<ItemOutcome> {
  const reason = job.params.reason ?? null;
  switch (job.operation) {
    case "flag":
      return transition(env, job, lead, { to: job.params.flag as LeadFlag, source: "manual", reason });
    case "deliver":
      if (isDelivered(lead.flag)) return { ok: true, message: `Already delivered (${lead.flag}); nothing changed.` };
      // onlyFrom: a flag changed since the batch read it is left alone (refused), never overridden.
      return transition(env, job, lead, { to: "Valid", source: "manual", reason, onlyFrom: [lead.flag] });
    case "undeliver":
      if (!isDelivered(lead.flag)) return { ok: true, message: `Not delivered (${lead.flag ?? "Unprocessed"}); nothing changed.` };
      return transition(env, job, lead, { to: "Invalid", source: "manual", reason, onlyFrom: [lead.flag] });
    case "delete":
      return transition(env, job, lead, { to: "Deleted", source: "delete", reason });
    case "metadata": {
      const other = job.params.metadata === "None" ? null : (job.params.metadata as "Replacement" | "Other");
      const r = await setLeadOtherReason(env, { leadId: lead.id, reason: other, comment: job.params.comment ?? null, userId: job.userId, author: job.author });
      if (!r.ok) return { ok: false, message: r.message };
      return { ok: true, message: r.changed ? (other ? `Marked as Other: ${other}.` : "Mark as Other removed.") : "Already so; nothing changed." };
    }
    case "reprocess":
      return (await requestReprocess(env, lead.id, { userId: job.userId, author: job.author }))
        ? { ok: true, message: "Sent to the Processr again." }
        : { ok: false, message: `Lead ${lead.id} not found.` };
  }
}
