import type { Env } from "../env";
import { ERASE_BATCH, type ErasureProgress, type ErasureRequest } from "../lists/erasure";
import { restoreArchivedByEmail } from "./restore";

/**
 * The archive's step of a GDPR erasure (src/lists/erasure.ts runs it before the D1 step): the
 * person's archived leads are restored to D1, where the next step redacts them like the others.
 */
export async function restoreArchivedForErasure(env: Env, req: ErasureRequest): Promise<ErasureProgress> {
  const { more } = await restoreArchivedByEmail(env, req.emails, ERASE_BATCH);
  return { erased: 0, more };
}
