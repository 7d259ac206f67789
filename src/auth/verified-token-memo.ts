import type { Env } from "../env";
import { tokenExpired } from "../errors";

/**
 * Tokens whose signature this isolate verified, by the whole token string, for one kind of token
 * (user access tokens, API-key grant tokens). A signature check is a function of the token, the
 * key and the issuer, and of the clock only through exp (the tokens we sign carry no not-before
 * time); every authenticated request checked its token twice (the rate limiter, then the route),
 * an HMAC each time. An entry is made only after jose verified the token (a tampered string is
 * another key, verified and refused afresh), is used only under the same environment, key and
 * issuer, and never at or past the token's exp (the token is then refused as expired, as jose
 * refuses it). Bound: at most `max` entries, the oldest leaving first. Revocation is not the
 * signature's business: each kind's caller checks it on every request. `copy` hands each request
 * its own copy, so that no request can change what another is given.
 */
export function verifiedTokenMemo<T>(max: number, copy: (v: T) => T) {
  const entries = new Map<string, { scope: string; exp: number; value: T }>();
  return {
    /** Whether this isolate verified the token (under some key and issuer): its signature then covered its claims. */
    has: (token: string) => entries.has(token),
    /** The token's verified claims: the kept entry, else `verify()` (jose), kept until exp. */
    async get(env: Env, issuer: string, token: string, now: number, verify: () => Promise<{ value: T; exp: number }>): Promise<T> {
      const scope = `${env.ENVIRONMENT}\n${env.JWT_SECRET ?? ""}\n${issuer}`;
      const hit = entries.get(token);
      if (hit !== undefined && hit.scope === scope) {
        // jose's rule: expired once exp <= the current second.
        if (hit.exp > Math.floor(now / 1000)) return copy(hit.value);
        entries.delete(token);
        throw tokenExpired();
      }
      const { value, exp } = await verify();
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(token, { scope, exp, value });
      return copy(value);
    },
  };
}
