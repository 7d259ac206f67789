import type { Figures } from "./useDashboardData";

/** The lead flags the dashboard counts, in Convertr's order, with their chart colours. */
export const FLAG_COLUMNS: { key: keyof Figures; label: string; color: string }[] = [
  { key: "validLeads", label: "Valid", color: "#2e7d32" },
  { key: "cautionLeads", label: "Caution", color: "#ed6c02" },
  { key: "invalidLeads", label: "Invalid", color: "#d32f2f" },
  { key: "testLeads", label: "Test", color: "#757575" },
];
