import DownloadIcon from "@mui/icons-material/Download";
import UploadIcon from "@mui/icons-material/Upload";
import { Alert, Button, CircularProgress, Stack } from "@mui/material";
import { type ChangeEvent, type ReactNode, useState } from "react";
import { useNotify, useRefresh } from "react-admin";
import { CsvRefused } from "./upload";

// Import CSV and Export CSV buttons for a table the API imports and exports as a whole. A refused
// file lists every bad row as the API names it (the API adds nothing then); a good one says what
// was written and refreshes the screen.

interface Props {
  /** Uploads the file; resolves with what to tell the user. */
  onImport: (file: File) => Promise<string>;
  onExport: () => Promise<void>;
  /** Asked before an upload (e.g. an erasure list); false cancels it. */
  confirm?: (file: File) => boolean;
  /** Controls shown beside the buttons (e.g. the import mode). */
  children?: ReactNode;
}

export function CsvFiles({ onImport, onExport, confirm, children }: Props) {
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState<"import" | "export" | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const upload = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = ""; // the same file can be chosen again once it is fixed
    if (!file || (confirm && !confirm(file))) return;
    setBusy("import");
    setErrors([]);
    try {
      notify(await onImport(file), { type: "success" });
      refresh();
    } catch (err) {
      setErrors(err instanceof CsvRefused ? err.messages : [err instanceof Error ? err.message : String(err)]);
    } finally {
      setBusy(null);
    }
  };
  const download = async () => {
    setBusy("export");
    try {
      await onExport();
    } catch (err) {
      notify(err instanceof Error ? err.message : String(err), { type: "error" });
    } finally {
      setBusy(null);
    }
  };
  return (
    <Stack spacing={1} sx={{ mb: 2 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        {children}
        <Button component="label" size="small" disabled={busy !== null}
          startIcon={busy === "import" ? <CircularProgress size={14} /> : <UploadIcon />}>
          Import CSV
          <input hidden type="file" accept=".csv,text/csv" aria-label="CSV file to import" onChange={upload} />
        </Button>
        <Button size="small" onClick={download} disabled={busy !== null}
          startIcon={busy === "export" ? <CircularProgress size={14} /> : <DownloadIcon />}>
          Export CSV
        </Button>
      </Stack>
      {errors.length > 0 && (
        <Alert severity="error" aria-label="Import refused" onClose={() => setErrors([])}>
          The file was not imported (nothing was written):
          <ul style={{ margin: 0, paddingLeft: 20 }}>{errors.map((m, i) => <li key={i}>{m}</li>)}</ul>
        </Alert>
      )}
    </Stack>
  );
}
