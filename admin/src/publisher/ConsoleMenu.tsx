import { Menu, useResourceDefinitions } from "react-admin";
import { isAdmin } from "../leads/role";

/** What a publisher user works with; the other collections are the client's (the API refuses most). */
const PUBLISHER_RESOURCES = new Set(["campaigns", "leads"]);

/** The side menu: every listed collection for admins, only a publisher's own screens for publisher users. */
export function ConsoleMenu() {
  const resources = useResourceDefinitions();
  const admin = isAdmin();
  return (
    <Menu>
      <Menu.DashboardItem />
      {Object.values(resources)
        .filter((r) => r.hasList && (admin || PUBLISHER_RESOURCES.has(r.name)))
        .map((r) => <Menu.ResourceItem key={r.name} name={r.name} />)}
    </Menu>
  );
}
