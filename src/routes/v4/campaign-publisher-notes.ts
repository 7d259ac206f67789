import { type SQL, sql } from "drizzle-orm";
import { campaignNotes } from "../../db/schema";
import type { Ctx } from "../../hydra/resource";

// Campaign notes recording contract changes of a campaign publisher (Convertr's notes record
// contract changes): created, signed, unsigned, allocation changed. They are the `audit` of the
// campaign-publishers writes (src/hydra/crud.ts), so each is written in the same D1 batch as its
// change, and only when the value really changes.

const PUBLISHER_NAME = sql.raw(`(SELECT p.name || ' (' || p.id || ')' FROM publishers p WHERE p.id = cp.publisher_id)`);
const allocation = (cap: SQL) => sql`coalesce(${cap}, 'uncapped')`;

/** A note on the contract `cp` that `from` selects (none when it selects no row). */
function contractNote(ctx: Ctx, text: SQL, from: SQL) {
  // INSERT … SELECT through drizzle names every column of the table, in order (id first).
  return ctx.db.insert(campaignNotes).select(
    sql`SELECT NULL, cp.campaign_id, cp.id, ${ctx.principal.userId}, ${ctx.principal.username}, ${text}, ${ctx.now} ${from}`,
  );
}

interface ContractData {
  campaign?: number;
  publisher?: number;
  cap?: number | null;
  signed?: boolean;
}

export const contractNotes = {
  create: (ctx: Ctx, d: ContractData) => [
    contractNote(
      ctx,
      sql`'Contract created for publisher ' || ${PUBLISHER_NAME} || ': ' || CASE WHEN cp.signed THEN 'signed' ELSE 'unsigned' END
        || ', allocation ' || ${allocation(sql`cp.cap`)} || '.'`,
      sql`FROM campaign_publishers cp WHERE cp.campaign_id = ${d.campaign} AND cp.publisher_id = ${d.publisher}`,
    ),
  ],
  // Written before the update: cp is the contract as it was.
  update: (ctx: Ctx, d: ContractData, id: number) => [
    ...(d.signed === undefined ? [] : [contractNote(
      ctx,
      sql`'Contract of publisher ' || ${PUBLISHER_NAME} || ${d.signed ? " signed." : " unsigned."}`,
      sql`FROM campaign_publishers cp WHERE cp.id = ${id} AND cp.signed IS NOT ${d.signed ? 1 : 0}`,
    )]),
    ...(d.cap === undefined ? [] : [contractNote(
      ctx,
      sql`'Allocation of publisher ' || ${PUBLISHER_NAME} || ' changed from ' || ${allocation(sql`cp.cap`)}
        || ' to ' || ${allocation(sql`cast(${d.cap} AS integer)`)} || '.'`,
      sql`FROM campaign_publishers cp WHERE cp.id = ${id} AND cp.cap IS NOT ${d.cap}`,
    )]),
  ],
};
