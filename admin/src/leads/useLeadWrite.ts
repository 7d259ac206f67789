import { useState } from "react";
import { useNotify, useRefresh } from "react-admin";
import { apiMessage } from "../api/errors";

/**
 * One write of the Lead Data dialog: shows progress (`busy`), keeps the API's own message when it
 * fails (`error`, shown next to the control) and, when it succeeds, refreshes every query on screen
 * so the list, the profile and the notes show the change without a reload.
 */
export function useLeadWrite() {
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (write: () => Promise<unknown>, done: string): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await write();
      notify(done, { type: "success" });
      refresh();
      return true;
    } catch (e) {
      const message = apiMessage(e);
      setError(message);
      notify(message, { type: "error" });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clearError: () => setError(null) };
}
