import type { ComponentType } from "react";
import type { IntegrationWindowProps } from "./api";
import { ConvertrConnectDialog } from "./ConvertrConnectDialog";
import { HttpIntegrationDialog } from "./HttpIntegrationDialog";

/** Integration job types with their own configuration window (others get the generated settings form). */
export const INTEGRATION_WINDOWS = new Map<string, ComponentType<IntegrationWindowProps>>([
  ["convertr_connect", ConvertrConnectDialog],
  ["http_integration", HttpIntegrationDialog],
]);
