import CloseIcon from "@mui/icons-material/Close";
import {
  Alert, Box, Chip, Dialog, DialogContent, DialogTitle, Grid, IconButton, LinearProgress, Stack, Tab, Tabs,
} from "@mui/material";
import { type ReactNode, useState } from "react";
import { useGetOne } from "react-admin";
import { apiMessage } from "../api/errors";
import { AssociatedCampaignsTab } from "./AssociatedCampaignsTab";
import { DeleteAction } from "./DeleteAction";
import { EditDataTab } from "./EditDataTab";
import { FlagAction } from "./FlagAction";
import { JobDetailsTab } from "./JobDetailsTab";
import { LeadProfile } from "./LeadProfile";
import { LogsTab } from "./LogsTab";
import { NotesTab } from "./NotesTab";
import { ProfileTab } from "./ProfileTab";
import { ReprocessAction } from "./ReprocessAction";
import { isAdmin } from "./role";
import { type LeadRecord, leadName } from "./types";

// The Lead Data dialog (Campaign > Leads > View): the lead's profile on the left, its data, associated
// campaigns, job results, logs, edits and notes in tabs on the right, and the admin's actions.

interface TabDef {
  label: string;
  render: (lead: LeadRecord) => ReactNode;
}

function tabsFor(admin: boolean): TabDef[] {
  const all: (TabDef | false)[] = [
    { label: "Profile", render: (lead) => <ProfileTab lead={lead} /> },
    { label: "Associated Campaigns", render: (lead) => <AssociatedCampaignsTab lead={lead} /> },
    { label: "Job Details", render: (lead) => <JobDetailsTab lead={lead} admin={admin} /> },
    { label: "Processr Logs", render: (lead) => <LogsTab lead={lead} type="processr" admin={admin} /> },
    // Provider logs hold the client's CRM calls, and writes are for admins: publisher users see neither.
    admin && { label: "Provider Logs", render: (lead) => <LogsTab lead={lead} type="provider" admin={admin} /> },
    admin && { label: "Edit Data", render: (lead) => <EditDataTab lead={lead} /> },
    { label: "Notes", render: (lead) => <NotesTab lead={lead} /> },
  ];
  return all.filter((t): t is TabDef => t !== false);
}

/** Why the lead cannot be shown. The API answers 404 alike for a lead that does not exist and one the user may not see. */
function loadError(e: unknown, leadId: string, admin: boolean): string {
  if ((e as { status?: number } | null)?.status !== 404) return apiMessage(e);
  const id = leadId.split("/").pop();
  return admin
    ? `There is no lead ${id}: it does not exist or was deleted.`
    : `Lead ${id} is not one of your leads: a publisher sees only the leads it sent. Check the lead id, or find the lead in your Leads list.`;
}

export function LeadDialog({ leadId, onClose }: { leadId: string; onClose: () => void }) {
  const admin = isAdmin();
  const { data: lead, isPending, error } = useGetOne<LeadRecord>("leads", { id: leadId }, {
    // A 404 stays a 404: asking again only keeps the user waiting for the explanation.
    retry: (failures, e) => (e as { status?: number }).status !== 404 && failures < 3,
  });
  const [tab, setTab] = useState(0);
  const tabs = tabsFor(admin);
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xl" aria-labelledby="lead-data-title">
      <DialogTitle id="lead-data-title" sx={{ pr: 7 }}>
        <Stack direction="row" spacing={2} sx={{ alignItems: "center", flexWrap: "wrap" }}>
          <span>Lead Data{lead ? ` — ${leadName(lead)}` : ""}</span>
          {lead?.archived && <Chip label="Archived" color="default" variant="outlined" size="small" />}
          <Box sx={{ flex: 1 }} />
          {admin && lead && (
            <Stack direction="row" spacing={1}>
              <FlagAction lead={lead} />
              <ReprocessAction lead={lead} />
              <DeleteAction lead={lead} onDeleted={onClose} />
            </Stack>
          )}
        </Stack>
        <IconButton aria-label="Close" onClick={onClose} sx={{ position: "absolute", right: 8, top: 8 }}><CloseIcon /></IconButton>
      </DialogTitle>
      <DialogContent dividers sx={{ minHeight: 480 }}>
        {error && <Alert severity="error" aria-label="Lead not shown">{loadError(error, leadId, admin)}</Alert>}
        {isPending && <LinearProgress aria-label="Loading" />}
        {lead?.archived && (
          <Alert severity="info" sx={{ mb: 2 }} aria-label="Archived lead">
            This lead is archived: it was moved out of the live database into the campaign's archive file and is read from
            there. The tabs read the live database and show nothing of it while it is archived. Changing its flag, reprocessing or
            deleting it brings it back to the live database first.
          </Alert>
        )}
        {lead && (
          <Grid container spacing={3}>
            <Grid size={{ xs: 12, md: 3 }}>
              <LeadProfile lead={lead} />
            </Grid>
            <Grid size={{ xs: 12, md: 9 }}>
              <Tabs value={tab} onChange={(_, v: number) => setTab(v)} variant="scrollable" aria-label="Lead data">
                {tabs.map((t, i) => <Tab key={t.label} label={t.label} id={`lead-tab-${i}`} aria-controls={`lead-tabpanel-${i}`}
                  sx={{ minWidth: 0, px: 1.25, textTransform: "none" }} />)}
              </Tabs>
              <Box role="tabpanel" id={`lead-tabpanel-${tab}`} aria-labelledby={`lead-tab-${tab}`} sx={{ pt: 2 }}>
                {tabs[tab]!.render(lead)}
              </Box>
            </Grid>
          </Grid>
        )}
      </DialogContent>
    </Dialog>
  );
}
