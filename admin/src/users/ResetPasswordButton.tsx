import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, TextField } from "@mui/material";
import { useState } from "react";
import { useRecordContext } from "react-admin";
import { useApiUpdate } from "../api/useApiUpdate";
import { NEW_PASSWORD_HINT } from "../auth/passwordPolicy";

/**
 * Sets a new password for a user (the API ends that user's sessions with it); the admin passes it
 * on. The API checks its length and says so.
 */
export function ResetPasswordButton() {
  const user = useRecordContext<{ id: string; username: string }>();
  const { save: write, isPending } = useApiUpdate("users");
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  if (!user) return null;
  const close = () => {
    setOpen(false);
    setPassword("");
  };
  return (
    <>
      <Button size="small" onClick={(e) => { e.stopPropagation(); setOpen(true); }}
        aria-label={`Reset password of ${user.username}`}>
        Reset password
      </Button>
      <Dialog open={open} onClose={close} onClick={(e) => e.stopPropagation()} aria-labelledby="reset-title">
        <DialogTitle id="reset-title">Reset the password of {user.username}</DialogTitle>
        <DialogContent>
          <Alert severity="info" sx={{ mb: 2 }}>The user is signed out everywhere and signs in with this password.</Alert>
          <TextField label="New password" type="password" value={password} fullWidth autoComplete="new-password"
            helperText={NEW_PASSWORD_HINT} onChange={(e) => setPassword(e.target.value)} />
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>Cancel</Button>
          <Button variant="contained" disabled={isPending}
            onClick={() => write(user, { password }, `Password of ${user.username} reset`, close)}>
            Set password
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
