import { CustomRoutes, reactRouterProvider } from "react-admin";
import { ProcessrPage } from "./ProcessrPage";

const { Route } = reactRouterProvider;

/** Campaign > Processr at /campaigns/{id}/processr (a child of the admin, registered by App). */
export const processrRoutes = (
  <CustomRoutes>
    <Route path="/campaigns/:campaignId/processr" element={<ProcessrPage />} />
  </CustomRoutes>
);
