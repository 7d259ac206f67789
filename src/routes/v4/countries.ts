import { countries } from "../../db/schema";
import { exact, intValue, orderFilter, partial, type ValueParser, badFilter } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";

// /api/v4/countries: the ISO 3166-1 list (every officially assigned alpha-2 code), read-only and
// the same for everybody; campaigns reference a country by its IRI.
type Row = typeof countries.$inferSelect;

/** An ISO 3166-1 alpha-2 code, any case ("gb" finds GB). */
export const isoValue: ValueParser = (raw, variable) => {
  const v = raw.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(v)) throw badFilter(variable, "expected an ISO 3166-1 alpha-2 code");
  return v;
};

export const countryResource = defineResource<Row>({
  type: "Country",
  path: "countries",
  title: "Country",
  description: "A country of ISO 3166-1, with its alpha-2 code.",
  table: countries,
  id: countries.id,
  fields: {
    id: field("integer", (c) => c.id),
    name: field("string", (c) => c.name),
    iso: field("string", (c) => c.iso, { description: "ISO 3166-1 alpha-2 code (e.g. GB)." }),
  },
  filters: [
    exact("id", countries.id, intValue),
    exact("iso", countries.iso, isoValue),
    partial("name", countries.name),
    orderFilter({ id: countries.id, name: countries.name, iso: countries.iso }),
  ],
  scope: () => undefined,
});
