"""Template tags of the artifact page's "Use this object" section and its <head> links
(templates/includes/artifact_data*.html): the embed snippet and the oEmbed discovery URL."""

from __future__ import annotations

from typing import Any

from django import template

from museum.gallery import embed

register = template.Library()


@register.simple_tag(takes_context=True)
def embed_snippet(context: dict[str, Any], artifact: Any) -> str:
    return embed.embed_snippet(context["request"], artifact)


@register.simple_tag(takes_context=True)
def oembed_url(context: dict[str, Any], artifact: Any) -> str:
    return embed.oembed_discovery_url(context["request"], artifact)


@register.simple_tag(takes_context=True)
def absolute_url(context: dict[str, Any], path: str) -> str:
    return context["request"].build_absolute_uri(path)
