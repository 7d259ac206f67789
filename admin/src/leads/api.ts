import { httpClient } from "../api/dataProvider";

// The lead writes of the v4 API that the generated data provider does not cover as such: a flag
// change is a merge-patch with a reason, reprocess an action, lead data a POST that also edits.

const url = (path: string) => new URL(path, window.location.origin);

export const changeFlag = (leadIri: string, flagId: number, reason: string) =>
  httpClient(url(leadIri), {
    method: "PATCH",
    headers: { "Content-Type": "application/merge-patch+json" },
    body: JSON.stringify({ leadFlag: `/api/v4/lead-flags/${flagId}`, reason }),
  });

export const reprocessLead = (leadIri: string) => httpClient(url(`${leadIri}/reprocess`), { method: "POST" });

export const deleteLead = (leadIri: string) => httpClient(url(leadIri), { method: "DELETE" });

/** Adds a value, or edits it when the lead already has one by that name (a lead note records it). */
export const saveLeadData = (leadIri: string, name: string, value: string) =>
  httpClient(url("/api/v4/lead-datas"), {
    method: "POST",
    body: JSON.stringify({ lead: leadIri, name, value }),
  });
