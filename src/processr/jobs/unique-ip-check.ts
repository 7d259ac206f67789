import { ipWindowJob } from "./lib/ip-window";

export const uniqueIpCheck = ipWindowJob({
  type: "unique_ip_check",
  name: "Unique IP Address Check",
  defaultSeconds: 3600,
});
