import DeleteIcon from "@mui/icons-material/Delete";
import DownloadIcon from "@mui/icons-material/Download";
import UploadFileIcon from "@mui/icons-material/UploadFile";
import { Button, Stack, Typography } from "@mui/material";
import { type ChangeEvent, useRef, useState } from "react";
import { Labeled, useNotify, useRecordContext, useRefresh } from "react-admin";
import { failure, saveBlob } from "../api/download";
import { authHeaders } from "../api/session";

// The campaign's purchase order document: its name, a download, an upload (replacing it) and a
// removal, through the API's file sub-resource (/api/v4/campaigns/{id}/purchase-order-file), which
// checks the type and size and answers what is wrong.
const ACCEPT = ".pdf,.png,.jpg,.jpeg,.doc,.docx,.xls,.xlsx";

export function PurchaseOrderFile() {
  const record = useRecordContext<{ id: string; purchaseOrderFile: string | null; purchaseOrderFileName: string | null }>();
  const notify = useNotify();
  const refresh = useRefresh();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  if (!record) return null;
  const path = `${record.id}/purchase-order-file`;

  const call = async (init: RequestInit, done: (res: Response) => Promise<void> | void) => {
    setBusy(true);
    try {
      const res = await fetch(path, { ...init, headers: await authHeaders() });
      if (!res.ok) throw new Error(await failure(res));
      await done(res);
    } catch (e) {
      notify(e instanceof Error ? e.message : String(e), { type: "error" });
    } finally {
      setBusy(false);
    }
  };
  const upload = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    const body = new FormData();
    body.append("file", file);
    void call({ method: "POST", body }, () => {
      notify("Purchase order uploaded", { type: "success" });
      refresh();
    });
  };
  const download = () => call({}, async (res) => saveBlob(await res.blob(), record.purchaseOrderFileName ?? "purchase-order"));
  const remove = () =>
    call({ method: "DELETE" }, () => {
      notify("Purchase order removed", { type: "success" });
      refresh();
    });

  return (
    <Labeled label="Purchase order file">
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        <Typography variant="body2">{record.purchaseOrderFileName ?? "None"}</Typography>
        {record.purchaseOrderFile && (
          <>
            <Button size="small" startIcon={<DownloadIcon />} onClick={download} disabled={busy}>Download</Button>
            <Button size="small" color="error" startIcon={<DeleteIcon />} onClick={remove} disabled={busy}>Remove</Button>
          </>
        )}
        <Button size="small" startIcon={<UploadFileIcon />} onClick={() => input.current?.click()} disabled={busy}>
          {record.purchaseOrderFile ? "Replace" : "Upload"}
        </Button>
        <input ref={input} type="file" accept={ACCEPT} hidden onChange={upload} aria-label="Purchase order file" />
      </Stack>
    </Labeled>
  );
}
