import { HydraAdmin, ResourceGuesser } from "@api-platform/admin";
import { dataProvider, ENTRYPOINT } from "./api/dataProvider";
import { authProvider } from "./auth/authProvider";
import { LoginPage } from "./auth/LoginPage";

// The console: API Platform Admin builds the screens from /api/v4/docs.jsonld; each folder next to
// this file (auth/, dashboard/, campaigns/, …) holds the screens of one resource or concern that
// the generated ones cannot do, and registers them here.
export function App() {
  return (
    <HydraAdmin
      entrypoint={ENTRYPOINT}
      dataProvider={dataProvider}
      authProvider={authProvider}
      loginPage={LoginPage}
      requireAuth
      title="leadflare"
    >
      <ResourceGuesser name="campaigns" />
    </HydraAdmin>
  );
}
