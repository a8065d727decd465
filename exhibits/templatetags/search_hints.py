"""Template tags of the search box (templates/includes/search_box.html)."""

from __future__ import annotations

from django import template

from exhibits.curation.search_api import example_queries

register = template.Library()


@register.simple_tag
def search_examples(count: int = 2) -> list[str]:
    """Queries the collection answers, for the hint under the search box."""
    return example_queries(count)
