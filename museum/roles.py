"""The roles of the museum as Django groups. Visitors are anonymous and need no group."""

CURATOR = "curator"
EDUCATOR = "educator"

# (app_label, model) -> actions. Kept as data so the migration and the tests read one source.
ROLE_PERMISSIONS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    CURATOR: {
        ("exhibits", model): ("add", "change", "delete", "view")
        for model in ("artifact", "asset", "annotation", "exhibition", "exhibitionitem")
    }
    | {("exhibits", "job"): ("view",), ("museum", "tour"): ("view",)},
    EDUCATOR: {
        ("museum", "tour"): ("add", "change", "delete", "view"),
        ("museum", "tourstop"): ("add", "change", "delete", "view"),
        ("exhibits", "artifact"): ("view",),
        ("exhibits", "annotation"): ("view",),
        ("exhibits", "exhibition"): ("view",),
    },
}
