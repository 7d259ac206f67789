import LeadIcon from "@mui/icons-material/PersonSearch";
import { CustomRoutes, NotFound, reactRouterProvider } from "react-admin";
import { CampaignLeads } from "./CampaignLeads";
import { LeadList } from "./LeadList";
import { LeadShow } from "./LeadShow";

const { Route } = reactRouterProvider;

/**
 * The leads resource's screens, registered by App: the list, and a lead's address opening its
 * Lead Data dialog (also for the generated "edit" route: a lead is changed in the dialog only).
 * Leads arrive through the capture APIs only, so a typed /leads/create is "not found" rather than
 * the guesser's form for an operation the API does not have.
 */
export const leads = { name: "leads", list: LeadList, show: LeadShow, edit: LeadShow, create: NotFound, icon: LeadIcon };

/** Campaign > Leads at Convertr's address, /campaigns/{id}/leads (a child of the admin). */
export const campaignLeadsRoutes = (
  <CustomRoutes>
    <Route path="/campaigns/:campaignId/leads" element={<CampaignLeads />} />
  </CustomRoutes>
);
