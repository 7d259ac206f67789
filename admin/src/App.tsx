import { HydraAdmin, ResourceGuesser } from "@api-platform/admin";
import { Layout } from "react-admin";
import { dataProvider, ENTRYPOINT } from "./api/dataProvider";
import { authProvider } from "./auth/authProvider";
import { LoginPage } from "./auth/LoginPage";
import { campaigns } from "./campaigns";
import { Dashboard } from "./dashboard/Dashboard";

// The console: API Platform Admin builds screens from /api/v4/docs.jsonld; each folder next to this
// file (auth/, dashboard/, campaigns/, …) holds the screens of one resource or concern that the
// generated ones cannot do, and is registered here. Resources without a folder use the generated
// (guessed) screens.
export function App() {
  return (
    <HydraAdmin
      entrypoint={ENTRYPOINT}
      dataProvider={dataProvider}
      authProvider={authProvider}
      loginPage={LoginPage}
      dashboard={Dashboard}
      layout={Layout}
      requireAuth
      disableTelemetry
      title="leadflare"
    >
      <ResourceGuesser {...campaigns} />
      <ResourceGuesser name="forms" />
      <ResourceGuesser name="form-fields" />
      <ResourceGuesser name="campaign-links" />
      <ResourceGuesser name="campaign-publishers" />
    </HydraAdmin>
  );
}
