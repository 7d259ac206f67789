import { HydraAdmin, ResourceGuesser } from "@api-platform/admin";
import { useEffect, useState } from "react";
import { dataProvider, ENTRYPOINT } from "./api/dataProvider";
import { schemaAnalyzer } from "./api/schemaAnalyzer";
import { authProvider } from "./auth/authProvider";
import { LoginPage } from "./auth/LoginPage";
import { Dashboard } from "./dashboard/Dashboard";
import { ConsoleLayout } from "./layout/ConsoleLayout";
import { resourceLabel } from "./layout/resourceLabels";
import { campaignLeadsRoutes } from "./leads";
import { processrRoutes } from "./processr";
import { SCREENS } from "./screens";

// The console: API Platform Admin reads /api/v4/docs.jsonld and gives every collection generated
// list/show/edit screens; the hand-written ones (screens.ts, one folder per resource or concern)
// replace them where the generated ones cannot do the job.
function useResourceNames() {
  const [names, setNames] = useState<string[] | null>(null);
  useEffect(() => {
    // Parsed once: the data provider keeps the documentation for the admin's own introspection.
    dataProvider.introspect().then(
      ({ data }) => setNames(data.resources?.map((r) => r.name) ?? []),
      () => setNames([]), // the admin's own introspection shows the error
    );
  }, []);
  return names ?? [...SCREENS.keys()];
}

export function App() {
  const names = useResourceNames();
  return (
    <HydraAdmin
      entrypoint={ENTRYPOINT}
      dataProvider={dataProvider}
      schemaAnalyzer={schemaAnalyzer}
      authProvider={authProvider}
      loginPage={LoginPage}
      dashboard={Dashboard}
      layout={ConsoleLayout}
      requireAuth
      disableTelemetry
      title="leadflare"
    >
      {names.map((name) => (
        <ResourceGuesser key={name} name={name} options={{ label: resourceLabel(name) }} {...SCREENS.get(name)} />
      ))}
      {campaignLeadsRoutes}
      {processrRoutes}
    </HydraAdmin>
  );
}
