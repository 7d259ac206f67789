import { Chip, Stack, Typography } from "@mui/material";
import { EditButton, ReferenceField, Show, TextField, TopToolbar, useRecordContext } from "react-admin";
import { describeRule, type TransformRecord } from "./rules";
import { ValueTable } from "./ValueTable";

// One value transform rule: what it does, and for a Transform its value table.

function Rule() {
  const rule = useRecordContext<TransformRecord>();
  if (!rule) return null;
  return (
    <Stack sx={{ p: 2 }} spacing={1}>
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        <Typography variant="h6">{rule.label}</Typography>
        <Chip size="small" label={rule.type} />
        {!rule.enabled && <Chip size="small" label="Disabled" variant="outlined" />}
      </Stack>
      <Typography color="text.secondary">
        Advertiser <ReferenceField source="advertiser" reference="advertisers" link={false}><TextField source="name" /></ReferenceField>
        {" · "}position {rule.position}
      </Typography>
      <Typography sx={{ fontFamily: "monospace" }}>{describeRule(rule)}</Typography>
      {rule.type === "Transform" && <ValueTable rule={rule} />}
    </Stack>
  );
}

export function TransformShow() {
  return (
    <Show actions={<TopToolbar><EditButton /></TopToolbar>}>
      <Rule />
    </Show>
  );
}
