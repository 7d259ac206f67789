import { z } from "zod";
import { categories } from "../../db/schema";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { exact, intValue, orderFilter, stringValue } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";

// /api/v4/categories: the groups of subcategories (a campaign's vertical is a subcategory).
// Everybody reads them; admins maintain them (a category still holding subcategories: 409).
type Row = typeof categories.$inferSelect;

export const categoryName = z.string().trim().min(1, "This value should not be blank.").max(255);

export const categoryResource = defineResource<Row>({
  type: "Category",
  path: "categories",
  title: "Category",
  description: "A group of subcategories.",
  table: categories,
  id: categories.id,
  fields: {
    id: field("integer", (c) => c.id),
    name: field("string", (c) => c.name, { writable: true, required: true }),
    createdTs: field("dateTime", (c) => isoTs(c.createdTs)),
    updatedTs: field("dateTime", (c) => isoTs(c.updatedTs)),
  },
  filters: [exact("id", categories.id, intValue), exact("name", categories.name, stringValue), orderFilter({ id: categories.id, name: categories.name })],
  scope: () => undefined,
  ...tableWrites({ table: categories, id: categories.id, shape: { name: categoryName }, required: ["name"], uniqueProperty: "name" }),
});
