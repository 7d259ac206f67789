import { env } from "cloudflare:workers";
import { getDb } from "../../../src/db/client";
import { type LeadFlag, leads } from "../../../src/db/schema";
import { createJobContext } from "../../../src/processr/job-context";
import { qaJobs } from "../../../src/processr/jobs";
import type { JobContext, JobLead, JobOutcome } from "../../../src/processr/types";

// Jobs run the way the consumer runs them: look the type up in the registry, parse the stored
// config through its schema, then run it on a JobLead.

export const NOW = Date.parse("2026-03-01T12:00:00Z");

/** A context for jobs that must not look at history or lists: any query fails the test. */
export const pureContext: JobContext = {
  now: NOW,
  history: {
    countOtherLeads() {
      throw new Error("this job must not query lead history");
    },
  },
  lists: {
    find() {
      throw new Error("this job must not look up validation lists");
    },
  },
};

let nextId = 1_000_000;

/** An in-memory lead of campaign 601 / publisher 12 (not stored). */
export function lead(values: Record<string, string>, over: Partial<JobLead> = {}): JobLead {
  return {
    id: nextId++,
    campaignId: 601,
    publisherId: 12,
    ip: null,
    userAgent: null,
    createdTs: NOW,
    email: values.email ?? null,
    values,
    ...over,
  };
}

export function parseConfig(type: string, config: unknown) {
  const job = qaJobs[type];
  if (!job) throw new Error(`no job type ${type}`);
  return job.configSchema.safeParse(config);
}

export async function runJob(
  type: string,
  config: unknown,
  l: JobLead,
  ctx: JobContext = pureContext,
): Promise<JobOutcome> {
  const job = qaJobs[type];
  if (!job) throw new Error(`no job type ${type}`);
  return job.run(l, job.configSchema.parse(config), ctx);
}

/** Runs a job with the real D1 history, as of `now`. */
export const runWithHistory = (type: string, config: unknown, l: JobLead, now = NOW) =>
  runJob(type, config, l, createJobContext(env, now));

export interface StoredLead {
  campaignId?: number;
  publisherId?: number;
  formId?: number;
  email?: string | null;
  ip?: string | null;
  createdTs?: number;
  flag?: LeadFlag | null;
  advertiserBillable?: boolean;
  deletedTs?: number | null;
  values?: Record<string, string>;
}

/** Inserts a lead into the test file's D1 (acme seed: campaign 601, publishers 12/13, form 35). */
export async function storeLead(s: StoredLead = {}): Promise<JobLead> {
  const createdTs = s.createdTs ?? NOW;
  const [row] = await getDb(env)
    .insert(leads)
    .values({
      campaignId: s.campaignId ?? 601,
      publisherId: s.publisherId ?? 12,
      formId: s.formId ?? 35,
      leadHash: crypto.randomUUID().replaceAll("-", ""),
      email: s.email ?? null,
      ip: s.ip ?? null,
      flag: s.flag ?? null,
      qaResult: s.flag ?? null,
      advertiserBillable: s.advertiserBillable ?? false,
      deletedTs: s.deletedTs ?? null,
      createdTs,
      updatedTs: createdTs,
    })
    .returning({ id: leads.id });
  return {
    id: row!.id,
    campaignId: s.campaignId ?? 601,
    publisherId: s.publisherId ?? 12,
    ip: s.ip ?? null,
    userAgent: null,
    createdTs,
    email: s.email ?? null,
    values: s.values ?? (s.email ? { email: s.email } : {}),
  };
}

/** A unique token for emails and IPs, since the leads of one test file share its D1. */
let seq = 0;
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${seq++}`;
