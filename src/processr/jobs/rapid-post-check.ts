import { ipWindowJob } from "./lib/ip-window";

export const rapidPostCheck = ipWindowJob({ type: "rapid_post_check", name: "Rapid Post Check", defaultSeconds: 30 });
