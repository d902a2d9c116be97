from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import translation
from django.utils.encoding import iri_to_uri

register = template.Library()


@register.simple_tag(takes_context=True)
def other_language_url(context: dict[str, Any], language: str) -> str:
    """The current page in ``language`` (same path, same query)."""
    request = context["request"]
    match = getattr(request, "resolver_match", None)
    if match is None or request.path != request.path_info:
        return translate_url(request.get_full_path(), language)
    # What ``translate_url`` does, from the page's own match: every page shows this link,
    # and resolving the path again cost as much as the rest of the page header.
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    with translation.override(language):
        try:
            path = reverse(name, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            return request.get_full_path()
    query = request.META.get("QUERY_STRING", "")
    return f"{path}?{iri_to_uri(query)}" if query else path


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
