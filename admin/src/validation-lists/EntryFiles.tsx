import { CsvFiles } from "../csv/CsvFiles";
import { exportEntries, importEntries, type ValidationListRecord } from "./api";

// A list's CSV import (one value per row) and export (the API's file of every entry, which
// imports as it is). Importing into an erasure list erases the leads of every email in the file.

export function EntryFiles({ list }: { list: ValidationListRecord }) {
  const confirm = (file: File) =>
    window.confirm(`"${list.name}" is an erasure list: the leads of every email in ${file.name} have their personal values erased. Import?`);
  return <CsvFiles onImport={(file) => importEntries(list, file)} onExport={() => exportEntries(list)} confirm={list.erasure ? confirm : undefined} />;
}
