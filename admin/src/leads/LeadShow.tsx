import { useCreatePath, useNavigate, useParams } from "react-admin";
import { LeadList } from "./LeadList";

/** A lead's own address (/leads/{iri}/show): the leads list with that lead's Lead Data dialog open. */
export function LeadShow() {
  const { id } = useParams();
  const navigate = useNavigate();
  const createPath = useCreatePath();
  const iri = decodeURIComponent(id ?? "");
  return <LeadList key={iri} opened={iri} onClosed={() => navigate(createPath({ resource: "leads", type: "list" }))} />;
}
