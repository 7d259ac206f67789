import UserIcon from "@mui/icons-material/ManageAccounts";
import { UserCreate } from "./UserCreate";
import { UserEdit } from "./UserEdit";
import { UserList } from "./UserList";

/** The users resource's screens (admins only, like the API), registered by App. */
export const users = { name: "users", list: UserList, create: UserCreate, edit: UserEdit, icon: UserIcon };
