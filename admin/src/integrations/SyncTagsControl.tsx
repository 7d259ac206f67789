import CheckIcon from "@mui/icons-material/Check";
import { Button, Stack, Typography } from "@mui/material";
import { useQuery } from "@tanstack/react-query";
import { useLeadWrite as useWrite } from "../leads/useLeadWrite";
import type { JobRecord } from "../processr/api";
import { placeSyncTags, removeSyncTags, syncTagState } from "./api";
import { count } from "./count";

/**
 * Place Sync Tags and its state, from the job's sync-tags action: placed since when and how many
 * delivered leads are covered; placing again tags the rest; tags can be removed. On a job not yet
 * saved, placing saves it first (`ensureSaved`).
 */
export function SyncTagsControl({ job, available, ensureSaved }: {
  job?: JobRecord;
  /** What the credential check said about the client: sync tags are leadflare's extension. */
  available: { available: boolean; message: string } | undefined;
  ensureSaved: () => Promise<JobRecord | null>;
}) {
  const { busy, error, run } = useWrite();
  const state = useQuery({ queryKey: ["processr", "sync-tags", job?.id], queryFn: () => syncTagState(job!["@id"]), enabled: !!job });
  const place = async () => {
    const saved = job ?? (await ensureSaved());
    if (saved) await run(() => placeSyncTags(saved["@id"]), "Sync tags placed");
  };
  const s = state.data;
  return (
    <Stack spacing={1} aria-label="Sync tags">
      <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
        {s?.placed ? (
          <>
            <Button variant="contained" color="success" startIcon={<CheckIcon />} disabled>Sync Tags Placed</Button>
            {s.untaggedLeads > 0 && <Button size="small" disabled={busy} onClick={place}>Tag {count(s.untaggedLeads, "more lead")}</Button>}
            <Button size="small" disabled={busy} onClick={() => run(() => removeSyncTags(job!["@id"]), "Sync tags removed")}>Remove Sync Tags</Button>
          </>
        ) : (
          <Button variant="outlined" disabled={busy || available?.available === false || (!!job && !s)} onClick={place}>
            {busy ? "Placing…" : "Place Sync Tags"}
          </Button>
        )}
        <Typography variant="body2" color={available?.available === false ? "warning.main" : "text.secondary"} data-testid="sync-tags-state">
          {s?.placed
            ? `Placed${s.placedTs ? ` since ${new Date(s.placedTs).toLocaleString()}` : ""}: ${count(s.coveredLeads, "delivered lead")} covered${s.untaggedLeads ? `, ${s.untaggedLeads} not yet` : ""}.`
            : (available?.message ?? "")}
        </Typography>
      </Stack>
      {(error ?? state.error?.message) && <Typography role="alert" color="error" sx={{ whiteSpace: "pre-line" }}>{error ?? state.error?.message}</Typography>}
    </Stack>
  );
}
