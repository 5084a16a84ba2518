"""CSV machinery shared by every import and export (tickets, users, departments).

- `files`: inspect a file people bring (size, binary, encoding, delimiter) and stream its rows; spreadsheet
  formula neutralising on export and its exact undo on import.
- `cells`: yes/no flags and lists of names as people write them.
- `columns`: header matching (normalised names and aliases) into a ColumnMap.
- `report`: what an import did or would do (ImportReport, RowError, PreviewRow, Action).
- `resources`: django-import-export resources that are formula-safe.
- `admin`: the back office's upload → dry run → confirm pages (CsvImportExportMixin, ResourceImportMixin).

Each domain app keeps only its own columns and rules (apps.tickets.imports, apps.accounts.resources,
apps.departments.resources).
"""
