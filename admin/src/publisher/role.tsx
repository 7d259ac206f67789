import type { ComponentType } from "react";
import { isAdmin } from "../leads/role";

/**
 * One screen for admins and another for publisher users, chosen when it renders (the role is read
 * from the signed-in session's token, so it follows sign-in and sign-out without a reload).
 */
export function byRole<P extends object>(Admin: ComponentType<P>, Publisher: ComponentType<P>): ComponentType<P> {
  const Screen = (props: P) => (isAdmin() ? <Admin {...props} /> : <Publisher {...props} />);
  Screen.displayName = `ByRole(${Admin.displayName ?? Admin.name})`;
  return Screen;
}
