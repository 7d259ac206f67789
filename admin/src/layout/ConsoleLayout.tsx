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

// The layout is as wide as the screen and its content scrolls what is wider: react-admin's grows
// to fit its content (minWidth: fit-content), so on a phone a table wider than the screen (the
// dashboard's, a list's) widened the whole page past the app bar.
// A list's table scrolls on its own, so that its filters and pagination stay on screen.
const CONTENT = {
  minWidth: 0,
  "& .RaLayout-content": { minWidth: 0, overflowX: "auto" },
  "& .RaList-main": { minWidth: 0 },
  "& .RaDatagrid-tableWrapper, & .RaDataTable-tableWrapper": { overflowX: "auto" },
} as const;

export const ConsoleLayout = (props: LayoutProps) => <Layout {...props} sx={CONTENT} appBar={ConsoleAppBar} menu={ConsoleMenu} />;
