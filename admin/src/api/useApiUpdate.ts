import { type RaRecord, useNotify, useUpdate } from "react-admin";
import { apiMessage } from "./errors";

/**
 * An update that waits for the API (no optimistic display), then says `done`, or shows the API's
 * own error message. `after` runs on success (e.g. to close a dialog).
 */
export function useApiUpdate(resource: string) {
  const [update, { isPending }] = useUpdate();
  const notify = useNotify();
  const save = (record: RaRecord, data: Record<string, unknown>, done: string, after?: () => void) =>
    update(
      resource,
      { id: record.id, data, previousData: record },
      {
        mutationMode: "pessimistic",
        onSuccess: () => {
          after?.();
          notify(done, { type: "success" });
        },
        onError: (e) => notify(apiMessage(e), { type: "error" }),
      },
    );
  return { save, isPending };
}
