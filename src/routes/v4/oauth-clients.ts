import { clientIdOf } from "../../auth/client-credentials";
import { oauthClients } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { exact, intValue, orderFilter } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";

// /api/v4/oauth-clients (admins only, read-only): the client_id and client_secret that
// /oauth/v2/token asks of every grant. A Convertr Connect sender enters them together with its
// campaign-publisher API key.
type Row = typeof oauthClients.$inferSelect;

export const oauthClientResource = defineResource<Row>({
  type: "OAuthClient",
  path: "oauth-clients",
  title: "OAuthClient",
  description: "The OAuth 2 client of this enterprise's token endpoint (/oauth/v2/token): client_id and client_secret.",
  table: oauthClients,
  id: oauthClients.id,
  fields: {
    id: field("integer", (o) => o.id),
    clientId: field("string", (o) => clientIdOf(o), { description: "The client_id parameter of /oauth/v2/token." }),
    clientSecret: field("string", (o) => o.secret, { adminOnly: true, description: "The client_secret parameter of /oauth/v2/token." }),
    grantTypes: field("json", (_o, _x, ctx) => ["password", "refresh_token", `${ctx.env.BASE_URL.replace(/\/+$/, "")}/grants/api_key`], {
      description: "Grants the token endpoint accepts with this client (the API-key grant: any http(s) URI ending in /grants/api_key).",
    }),
    createdTs: field("dateTime", (o) => isoTs(o.createdTs)),
  },
  filters: [exact("id", oauthClients.id, intValue), orderFilter({ id: oauthClients.id })],
  scope: () => "admin",
});
