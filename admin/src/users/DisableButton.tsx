import { Button } from "@mui/material";
import { useRecordContext } from "react-admin";
import { useApiUpdate } from "../api/useApiUpdate";

/** Disable (ends the user's sessions at once; sign-in is refused) or enable again. */
export function DisableButton() {
  const user = useRecordContext<{ id: string; username: string; disabled: boolean }>();
  const { save: write, isPending } = useApiUpdate("users");
  if (!user) return null;
  const toggle = (e: React.MouseEvent) => {
    e.stopPropagation();
    write(user, { disabled: !user.disabled }, user.disabled ? `${user.username} enabled` : `${user.username} disabled`);
  };
  return (
    <Button size="small" color={user.disabled ? "primary" : "warning"} disabled={isPending} onClick={toggle}
      aria-label={`${user.disabled ? "Enable" : "Disable"} ${user.username}`}>
      {user.disabled ? "Enable" : "Disable"}
    </Button>
  );
}
