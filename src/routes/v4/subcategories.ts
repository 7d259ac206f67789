import { categories, subcategories } from "../../db/schema";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, inList, intValue, orderFilter, stringValue } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";
import { relation } from "../../hydra/write";
import { categoryName } from "./categories";

// /api/v4/subcategories: a campaign's vertical (Convertr's example campaign shows subcategory
// 1 "Marketing"), each within a category, embedded. Everybody reads them; admins maintain them.
type Row = typeof subcategories.$inferSelect;
type Extra = Map<number, string>;

export const subcategoryResource = defineResource<Row, Extra>({
  type: "Subcategory",
  path: "subcategories",
  title: "Subcategory",
  description: "A campaign vertical within a category.",
  table: subcategories,
  id: subcategories.id,
  fields: {
    id: field("integer", (s) => s.id),
    name: field("string", (s) => s.name, { writable: true, required: true }),
    category: field({ embed: "Category" }, (s, names) => ({
      "@id": iri("categories", s.categoryId),
      "@type": "Category",
      id: s.categoryId,
      name: names.get(s.categoryId) ?? null,
    }), { writable: true, required: true, description: "Written as an IRI (/api/v4/categories/{id}) or an id." }),
    createdTs: field("dateTime", (s) => isoTs(s.createdTs)),
    updatedTs: field("dateTime", (s) => isoTs(s.updatedTs)),
  },
  filters: [
    exact("id", subcategories.id, intValue),
    exact("name", subcategories.name, stringValue),
    exact("category.id", subcategories.categoryId, intValue),
    orderFilter({ id: subcategories.id, name: subcategories.name }),
  ],
  scope: () => undefined,
  async load(ctx, rows) {
    const list = await ctx.db
      .select({ id: categories.id, name: categories.name })
      .from(categories)
      .where(inList(categories.id, [...new Set(rows.map((r) => r.categoryId))]));
    return new Map(list.map((c) => [c.id, c.name]));
  },
  ...tableWrites({
    table: subcategories,
    id: subcategories.id,
    shape: { name: categoryName, category: relation("categories") },
    required: ["name", "category"],
    rename: { category: "categoryId" },
    refs: (d) => [{ propertyPath: "category", path: "categories", table: categories, id: d.category }],
    uniqueProperty: "name",
  }),
});
