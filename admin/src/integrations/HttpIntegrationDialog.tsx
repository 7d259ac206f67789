import { Button, Dialog, DialogActions, DialogContent, DialogTitle, Tab, Tabs } from "@mui/material";
import { useState } from "react";
import type { JobRecord } from "../processr/api";
import type { IntegrationWindowProps } from "./api";
import { HttpGeneralTab } from "./HttpGeneralTab";
import { HttpTestSection } from "./HttpTestSection";
import { IntegrationLogsTab } from "./IntegrationLogsTab";

/** The HTTP integration (Convoso Connect's model): the General tab with Save and Test, and the Logs tab. */
export function HttpIntegrationDialog({ campaignId, job, onClose }: IntegrationWindowProps) {
  // A new integration becomes a saved one on its first Save, which opens its Test section and Logs.
  const [saved, setSaved] = useState<JobRecord | undefined>(job);
  const [tab, setTab] = useState<"general" | "logs">("general");
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-label="HTTP Integration">
      <DialogTitle>HTTP Integration{saved ? `: ${saved.label}` : ""}</DialogTitle>
      <DialogContent>
        <Tabs value={tab} onChange={(_, v) => setTab(v)}>
          <Tab value="general" label="General" />
          <Tab value="logs" label="Logs" disabled={!saved} />
        </Tabs>
        {tab === "general" && (
          <>
            <HttpGeneralTab campaignId={campaignId} job={saved} onSaved={setSaved} />
            {saved && <HttpTestSection campaignId={campaignId} job={saved} />}
          </>
        )}
        {tab === "logs" && saved && <IntegrationLogsTab jobId={saved.id} />}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
