import { Alert, Box, Button, Card, CardContent, CircularProgress, Link, Stack, TextField, Typography } from "@mui/material";
import { type FormEvent, type ReactNode, useState } from "react";
import { useLogin } from "react-admin";
import { postAuth } from "../api/session";
import { MfaRequired, PasswordExpired, signIn } from "./authProvider";
import { NEW_PASSWORD_HINT } from "./passwordPolicy";

// The sign-in screen and its steps: password, then the SMS code when MFA is on; an expired
// password must be changed here before anything else; "forgot password" uses the reset API
// (a code sent by SMS or message, then a new password).
type Step =
  | { kind: "password" }
  | { kind: "mfa"; mfaToken: string }
  | { kind: "expired"; userId: number; accessToken: string }
  | { kind: "forgot" }
  | { kind: "reset" };

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function Panel({ title, children, onSubmit, busy, error, info, submit }: {
  title: string;
  children: ReactNode;
  onSubmit: () => Promise<void>;
  busy: boolean;
  error: string | null;
  info?: string | null;
  submit: string;
}) {
  const handle = (e: FormEvent) => {
    e.preventDefault();
    void onSubmit();
  };
  return (
    <Box component="form" onSubmit={handle} noValidate aria-label={title}>
      <Stack spacing={2}>
        <Typography variant="h5" component="h1">{title}</Typography>
        {info && <Alert severity="info" role="status">{info}</Alert>}
        {error && <Alert severity="error" role="alert">{error}</Alert>}
        {children}
        <Button type="submit" variant="contained" disabled={busy} startIcon={busy ? <CircularProgress size={16} /> : null}>
          {submit}
        </Button>
      </Stack>
    </Box>
  );
}

export function LoginPage() {
  const login = useLogin();
  const [step, setStep] = useState<Step>({ kind: "password" });
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);

  const go = (next: Step, message: string | null = null) => {
    setStep(next);
    setError(null);
    setInfo(message);
    setCode("");
    setNewPassword("");
    setConfirm("");
  };

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      if (e instanceof MfaRequired) go({ kind: "mfa", mfaToken: e.mfaToken }, e.message);
      else if (e instanceof PasswordExpired) go({ kind: "expired", userId: e.userId, accessToken: e.accessToken }, e.message);
      else setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  /** Ends with react-admin's login (it redirects into the console) once the API accepted the credentials. */
  const finish = (credentials: Parameters<typeof signIn>[0]) => login(credentials);

  /** Sets a new password through `post`, then back to signing in (with `next` as the password). */
  const changePassword = (post: () => Promise<unknown>, next: string) =>
    run(async () => {
      if (newPassword !== confirm) throw new Error("The two new passwords differ.");
      await post();
      setPassword(next);
      go({ kind: "password" }, "Password changed. Sign in with the new password.");
    });

  const codeField = (label: string) => (
    <TextField label={label} value={code} autoFocus autoComplete="one-time-code"
      slotProps={{ htmlInput: { inputMode: "numeric" } }} onChange={(e) => setCode(e.target.value.trim())} />
  );

  const newPasswordFields = (
    <>
      <TextField label="New password" type="password" autoComplete="new-password" value={newPassword}
        onChange={(e) => setNewPassword(e.target.value)} helperText={NEW_PASSWORD_HINT} />
      <TextField label="Repeat the new password" type="password" autoComplete="new-password" value={confirm}
        onChange={(e) => setConfirm(e.target.value)} />
    </>
  );

  let panel: ReactNode;
  switch (step.kind) {
    case "password":
      panel = (
        <Panel title="Sign in" busy={busy} error={error} info={info} submit="Sign in"
          onSubmit={() => run(() => finish({ username, password }))}>
          <TextField label="Username" autoComplete="username" value={username} autoFocus
            onChange={(e) => setUsername(e.target.value)} />
          <TextField label="Password" type="password" autoComplete="current-password" value={password}
            onChange={(e) => setPassword(e.target.value)} />
          <Link component="button" type="button" onClick={() => go({ kind: "forgot" })}>Forgot password?</Link>
        </Panel>
      );
      break;
    case "mfa":
      panel = (
        <Panel title="Security code" busy={busy} error={error} info={info} submit="Verify"
          onSubmit={() => run(() => finish({ username, password, mfaToken: step.mfaToken, mfaCode: code }))}>
          {codeField("SMS code")}
          <Link component="button" type="button" onClick={() => go({ kind: "password" })}>Back</Link>
        </Panel>
      );
      break;
    case "expired":
      panel = (
        <Panel title="Change your password" busy={busy} error={error} info={info} submit="Change password"
          onSubmit={() =>
            changePassword(
              () => postAuth(`/api/v4/users/${step.userId}/change-password`, { currentPassword: password, newPassword }, step.accessToken),
              newPassword,
            )
          }>
          {newPasswordFields}
        </Panel>
      );
      break;
    case "forgot":
      panel = (
        <Panel title="Reset your password" busy={busy} error={error} info={info} submit="Send a reset code"
          onSubmit={() =>
            run(async () => {
              await postAuth("/api/password-reset", { username });
              go({ kind: "reset" }, "If the account exists, a reset code has been sent to its telephone or address.");
            })
          }>
          <TextField label="Username" autoComplete="username" value={username} autoFocus
            onChange={(e) => setUsername(e.target.value)} />
          <Link component="button" type="button" onClick={() => go({ kind: "password" })}>Back to sign in</Link>
        </Panel>
      );
      break;
    case "reset":
      panel = (
        <Panel title="Choose a new password" busy={busy} error={error} info={info} submit="Set the new password"
          onSubmit={() => changePassword(() => postAuth("/api/password-reset/confirm", { username, code, newPassword }), "")}>
          {codeField("Reset code")}
          {newPasswordFields}
        </Panel>
      );
      break;
  }

  return (
    <Box sx={{ minHeight: "100vh", display: "flex", alignItems: "center", justifyContent: "center", bgcolor: "grey.100" }}>
      <Card sx={{ width: 380 }}>
        <CardContent>
          <Typography variant="overline" color="text.secondary">leadflare console</Typography>
          {panel}
        </CardContent>
      </Card>
    </Box>
  );
}
