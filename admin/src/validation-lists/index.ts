import ListIcon from "@mui/icons-material/PlaylistRemove";
import { ValidationListCreate, ValidationListEdit } from "./ValidationListForms";
import { ValidationListList } from "./ValidationListList";
import { ValidationListShow } from "./ValidationListShow";

/** The validation-lists resource's screens (admins), registered by App. */
export const validationLists = {
  name: "validation-lists",
  list: ValidationListList,
  create: ValidationListCreate,
  edit: ValidationListEdit,
  show: ValidationListShow,
  icon: ListIcon,
};
