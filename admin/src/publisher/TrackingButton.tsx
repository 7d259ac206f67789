import TrackingIcon from "@mui/icons-material/VpnKey";
import { Dialog, DialogActions, DialogContent, DialogTitle, Tab, Tabs, Button as MuiButton } from "@mui/material";
import { useState } from "react";
import { Button, useRecordContext } from "react-admin";
import { ApiCredentials, type CredentialsCampaign } from "./ApiCredentials";

/** A campaign's Tracking action: the Tracking Information window and its API Credentials tab. */
export function TrackingButton() {
  const campaign = useRecordContext<CredentialsCampaign & { name: string }>();
  const [open, setOpen] = useState(false);
  if (!campaign) return null;
  return (
    <>
      <Button label="Tracking" onClick={(e) => { e.stopPropagation(); setOpen(true); }}>
        <TrackingIcon />
      </Button>
      {/* A click inside the window must not reach the list row under it (which opens the campaign). */}
      <Dialog open={open} onClose={() => setOpen(false)} maxWidth="md" fullWidth onClick={(e) => e.stopPropagation()}
        aria-labelledby="tracking-title">
        <DialogTitle id="tracking-title">Tracking Information: {campaign.name}</DialogTitle>
        <DialogContent>
          <Tabs value="api">
            <Tab value="api" label="API Credentials" />
          </Tabs>
          {open && <ApiCredentials campaign={campaign} />}
        </DialogContent>
        <DialogActions>
          <MuiButton onClick={() => setOpen(false)}>Close</MuiButton>
        </DialogActions>
      </Dialog>
    </>
  );
}
