import { Box, Divider, Stack, Typography } from "@mui/material";
import type { ReactNode } from "react";
import { DateField, ReferenceField, TextField } from "react-admin";
import { FlagChip } from "./FlagChip";
import { type LeadRecord, leadName, PROCESSR_STATUSES } from "./types";

// The dialog's left side: a profile of the captured lead and its Processr outcome. The billing
// figures the API gives only to admins appear only when present.

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box>
      <Typography variant="caption" color="text.secondary">{label}</Typography>
      <Typography variant="body2" component="div" sx={{ wordBreak: "break-word" }}>{children === null || children === undefined || children === "" ? "—" : children}</Typography>
    </Box>
  );
}

export function LeadProfile({ lead }: { lead: LeadRecord }) {
  const address = [lead.addressLine1, lead.postcode].filter(Boolean).join(", ");
  return (
    <Stack spacing={1.2} aria-label="Lead profile" component="section">
      <Typography variant="h6">{leadName(lead)}</Typography>
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        <FlagChip flag={lead.leadFlag} />
        <Typography variant="body2" color="text.secondary">
          QA result: {lead.qaResult?.name ?? "none yet"}
        </Typography>
      </Stack>
      <Item label="Lead id">{lead.originId}</Item>
      <Item label="Email">{lead.email}</Item>
      <Item label="Telephone">{lead.telephone}</Item>
      <Item label="Address">{address || null}</Item>
      <Divider />
      <Item label="Campaign">
        <ReferenceField record={lead} source="campaign" reference="campaigns" link="show"><TextField source="name" /></ReferenceField>
      </Item>
      <Item label="Publisher">
        <ReferenceField record={lead} source="publisher" reference="publishers" link={false}><TextField source="name" /></ReferenceField>
      </Item>
      <Item label="Publisher sub id">{lead.publisherSubId}</Item>
      <Item label="Captured"><DateField record={lead} source="createdTs" showTime /></Item>
      <Item label="Updated"><DateField record={lead} source="updatedTs" showTime /></Item>
      <Divider />
      <Item label="Score">{`${lead.score} / ${lead.maxScore}${lead.hardfail ? " (hard fail)" : ""}`}</Item>
      <Item label="Processr status">{PROCESSR_STATUSES.get(lead.processrStatus) ?? lead.processrStatus}</Item>
      <Item label="Delivered by an integration">{lead.integration ? "Yes" : "No"}</Item>
      <Item label="Publisher billable">{`${lead.publisherBillable ? "Yes" : "No"} (payout ${lead.publisherPayout})`}</Item>
      {lead.advertiserPayout !== undefined && (
        <Item label="Advertiser billable">{`${lead.advertiserBillable ? "Yes" : "No"} (payout ${lead.advertiserPayout})`}</Item>
      )}
      {lead.overAllocation && <Item label="Allocation">Over the publisher's allocation</Item>}
      <Item label="Lead hash"><code>{lead.leadHash}</code></Item>
    </Stack>
  );
}
