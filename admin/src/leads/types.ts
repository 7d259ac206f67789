// The v4 records the Leads screen reads, as API Platform Admin's data provider gives them: `id` is
// the item's IRI and `originId` its number.

export interface FlagRef {
  "@id": string;
  name: FlagName;
}

export type FlagName = "Valid" | "Invalid" | "Caution" | "Test";

export interface LeadRecord {
  id: string;
  originId: number;
  createdTs: string;
  updatedTs: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  telephone: string | null;
  postcode: string | null;
  addressLine1: string | null;
  publisherSubId: string | null;
  processrStatus: number;
  score: number;
  maxScore: number;
  hardfail: boolean;
  integration: boolean;
  overAllocation: boolean;
  publisherBillable: boolean;
  publisherPayout: string;
  /** Admins only (the client's commercial terms). */
  advertiserBillable?: boolean;
  advertiserPayout?: string;
  leadHash: string;
  formHash: string;
  campaign: string;
  publisher: string;
  leadFlag: FlagRef | null;
  qaResult: FlagRef | null;
  /** Present (true) on a lead read from the archive (GET /api/v4/leads/{id} of an archived lead). */
  archived?: boolean;
}

export interface LeadDataRecord {
  id: string;
  name: string;
  value: string;
  type: string;
  updatedTs: string;
}

export interface ProcessrJobLeadRecord {
  id: string;
  campaignProcessrJob: string;
  status: "passed" | "failed" | "not_run";
  message: string;
  /** Admins only. */
  detail?: string | null;
  score: number;
  startedTs: string | null;
  finishedTs: string | null;
}

export interface LogRecord {
  id: string;
  level: string;
  message: string;
  campaignProcessrJob: string | null;
  /** Admins only. */
  context?: unknown;
  createdTs: string;
}

export interface LeadNoteRecord {
  id: string;
  author: string | null;
  note: string;
  fromFlag: string | null;
  toFlag: string | null;
  reason: string | null;
  createdTs: string;
}

/** Flag ids of /api/v4/lead-flags (fixed by the API). */
export const FLAGS: { id: number; name: FlagName }[] = [
  { id: 1, name: "Valid" },
  { id: 3, name: "Caution" },
  { id: 2, name: "Invalid" },
  { id: 4, name: "Test" },
];

/** processrStatus values and their names. */
export const PROCESSR_STATUSES = new Map<number, string>([
  [0, "Received"],
  [100, "Sent to Processr"],
  [500, "On Hold - No Job Assigned"],
  [510, "On Hold - Publisher Over Delivery"],
  [900, "Processing Failed"],
  [1000, "Complete"],
]);

export const leadName = (l: Pick<LeadRecord, "firstName" | "lastName" | "originId">) =>
  [l.firstName, l.lastName].filter(Boolean).join(" ") || `Lead ${l.originId}`;
