import MenuBookIcon from "@mui/icons-material/MenuBook";
import { IconButton, Tooltip } from "@mui/material";
import { AppBar, Layout, type LayoutProps, LoadingIndicator } from "react-admin";
import { ConsoleMenu } from "../publisher/ConsoleMenu";

// react-admin's layout with a link to the API reference in the app bar. /docs is a page the Worker
// renders (not a console route), so it is a plain link, opened in a new tab.
const ApiReferenceLink = () => (
  <Tooltip title="API reference">
    <IconButton color="inherit" component="a" href="/docs" target="_blank" rel="noopener" aria-label="API reference">
      <MenuBookIcon />
    </IconButton>
  </Tooltip>
);

const ConsoleAppBar = () => (
  <AppBar
    toolbar={
      <>
        <ApiReferenceLink />
        <LoadingIndicator />
      </>
    }
  />
);

export const ConsoleLayout = (props: LayoutProps) => <Layout {...props} appBar={ConsoleAppBar} menu={ConsoleMenu} />;
