"""Framework-free helpers every app shares (no Django, nothing heavy at import): the one safe
image reader (`images`), the one device/precision choice (`devices`) and the one registry
convention for learned models (`registry`).

They sit in the project package because exhibits, restoration and the visitor side all use
them, and each app already depends on the project (settings, `museum.jobs`); an app importing
another app's module for a generic helper would tie domains together for no reason."""
