import TransformIcon from "@mui/icons-material/Transform";
import { TransformCreate, TransformEdit } from "./TransformForm";
import { TransformList } from "./TransformList";
import { TransformShow } from "./TransformShow";

/** The advertiser-value-transforms resource's screens (admins), registered by App. */
export const valueTransforms = {
  name: "advertiser-value-transforms",
  list: TransformList,
  show: TransformShow,
  create: TransformCreate,
  edit: TransformEdit,
  icon: TransformIcon,
};
