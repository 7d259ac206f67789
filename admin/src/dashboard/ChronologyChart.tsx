import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ChronologyDay } from "./useDashboardData";
import { FLAG_COLUMNS } from "./flags";

/** Leads per day, stacked by flag (recharts, a maintained React chart library). */
export function ChronologyChart({ days }: { days: ChronologyDay[] }) {
  return (
    <ResponsiveContainer width="100%" height={280}>
      <BarChart data={days} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="day" />
        <YAxis allowDecimals={false} />
        <Tooltip />
        <Legend />
        {FLAG_COLUMNS.map((c) => (
          <Bar key={c.key} dataKey={c.key} name={c.label} stackId="flags" fill={c.color} isAnimationActive={false} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}
