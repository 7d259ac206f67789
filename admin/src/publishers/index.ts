import PublisherIcon from "@mui/icons-material/Hub";
import { PublisherCreate, PublisherEdit } from "./PublisherForm";
import { PublisherList } from "./PublisherList";

/** The publishers resource's screens (writes are the admin's), registered by App. */
export const publishers = { name: "publishers", list: PublisherList, create: PublisherCreate, edit: PublisherEdit, icon: PublisherIcon };
