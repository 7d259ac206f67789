import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { ApiError } from "../errors";
import { assertRefs, type Ref } from "./refs";
import type { Ctx, WriteOp } from "./resource";
import { unprocessable } from "./write";

// Create / update / delete of a plain configuration table, from one zod shape: POST takes the
// shape (with its required keys), PUT any subset of it. Relations are checked (422), unique
// keys become 422 violations, and a delete refused by a foreign key (the row is in use) is a 409.

export interface TableWrites<S extends z.ZodRawShape> {
  table: SQLiteTable;
  id: SQLiteColumn;
  shape: S;
  /** Keys POST requires. */
  required: (keyof S & string)[];
  /** Body property → drizzle column key, where they differ (relations: "campaign" → "campaignId"). */
  rename?: Record<string, string>;
  refs?(data: Partial<z.infer<z.ZodObject<S>>>): Omit<Ref, "propertyPath">[] & { propertyPath: string }[];
  /** Extra column values on insert (generated keys, defaults that depend on the request). */
  onInsert?(ctx: Ctx, data: z.infer<z.ZodObject<S>>): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Checks that need the database or several fields (throw unprocessable). */
  validate?(ctx: Ctx, data: Partial<z.infer<z.ZodObject<S>>>, id?: number): Promise<void>;
  /** Property path a UNIQUE failure is reported on. */
  uniqueProperty?: string;
  /** Whether the table has an updated_ts column. */
  touch?: boolean;
  /**
   * Statements written in the same D1 batch as the change (notes that record it): on create after
   * the insert (they can select the new row by its unique key), on update before it (they can
   * compare the row as it was with the new values).
   */
  audit?: {
    create?(ctx: Ctx, data: z.infer<z.ZodObject<S>>): BatchItem<"sqlite">[];
    update?(ctx: Ctx, data: Partial<z.infer<z.ZodObject<S>>>, id: number): BatchItem<"sqlite">[];
  };
}

function columns(rename: Record<string, string> | undefined, data: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (v !== undefined) out[rename && Object.hasOwn(rename, k) ? rename[k]! : k] = v;
  return out;
}

export function constraintError(e: unknown, uniqueProperty: string): never {
  // drizzle wraps the driver's error ("Failed query: …"); the constraint is named in its cause.
  const msgs: string[] = [];
  for (let err: unknown = e; err !== undefined && msgs.length < 5; err = err instanceof Error ? err.cause : undefined) {
    msgs.push(String(err instanceof Error ? err.message : err));
  }
  const msg = msgs.join("\n");
  if (/UNIQUE constraint failed/i.test(msg)) {
    throw unprocessable([{ propertyPath: uniqueProperty, message: "This value is already used." }]);
  }
  if (/FOREIGN KEY constraint failed/i.test(msg)) {
    throw new ApiError("CONFLICT", "The resource is in use by other resources and cannot be deleted.");
  }
  throw e;
}

export function tableWrites<S extends z.ZodRawShape>(w: TableWrites<S>) {
  const full = z.object(w.shape).partial().required(Object.fromEntries(w.required.map((k) => [k, true])) as never).strict();
  const partial = z.object(w.shape).partial().strict();
  const check = async (ctx: Ctx, data: Record<string, unknown>, id?: number) => {
    await assertRefs(ctx.db, (w.refs?.(data as never) ?? []) as Ref[]);
    await w.validate?.(ctx, data as never, id);
  };
  const create: WriteOp<Record<string, unknown>> = {
    schema: full as unknown as z.ZodType<Record<string, unknown>>,
    async run(ctx, data) {
      await check(ctx, data);
      const values = { ...columns(w.rename, data), ...(await w.onInsert?.(ctx, data as never)) };
      try {
        const insert = ctx.db.insert(w.table).values(values as never).returning({ id: w.id });
        const [[row]] = await ctx.db.batch([insert, ...(w.audit?.create?.(ctx, data as never) ?? [])]);
        return (row as { id: number }).id;
      } catch (e) {
        constraintError(e, w.uniqueProperty ?? "");
      }
    },
  };
  const update: WriteOp<Record<string, unknown>> = {
    schema: partial as unknown as z.ZodType<Record<string, unknown>>,
    async run(ctx, data, id) {
      await check(ctx, data, id);
      const values = { ...columns(w.rename, data), ...(w.touch === false ? {} : { updatedTs: ctx.now }) };
      try {
        const update = ctx.db.update(w.table).set(values as never).where(sql`${w.id} = ${id!}`);
        const items: BatchItem<"sqlite">[] = [...(w.audit?.update?.(ctx, data as never, id!) ?? []), update];
        await ctx.db.batch(items as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
      } catch (e) {
        constraintError(e, w.uniqueProperty ?? "");
      }
      return id!;
    },
  };
  const remove = async (ctx: Ctx, id: number) => {
    try {
      await ctx.db.delete(w.table).where(sql`${w.id} = ${id}` as SQL);
    } catch (e) {
      constraintError(e, "");
    }
  };
  return { create, update, remove };
}
