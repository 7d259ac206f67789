import { type RaRecord, useNotify, useUpdate } from "react-admin";
import { apiMessage } from "../api/errors";

/**
 * A write to one user that waits for the API (nothing shown before it answers), then says `done`
 * and runs `after`, or shows the API's own message. The list and page refetch what changed.
 */
export function useUserWrite() {
  const [update, { isPending }] = useUpdate();
  const notify = useNotify();
  const write = (record: RaRecord, data: Record<string, unknown>, done: string, after?: () => void) =>
    update(
      "users",
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
  return { write, isPending };
}
