"""Visit analytics without personal data: daily counters only (models, collection, dashboard)."""
