from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import translate_url
from django.utils import translation

register = template.Library()


@register.simple_tag(takes_context=True)
def other_language_url(context: dict[str, Any], language: str) -> str:
    """The current page in ``language`` (same path, same query)."""
    request = context["request"]
    url = translate_url(request.get_full_path(), language)
    return url


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters changed (None removes one)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(list(params.lists()), doseq=True) if params else "?"


@register.filter
def tr(obj: Any, field: str) -> Any:
    """A translatable field in the active language: {{ service|tr:"name" }}."""
    return obj.tr(field, translation.get_language())
