"""What every staff form shares."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from senda.core.errors import ValidationError


def apply_errors(
    form: forms.Form, error: ValidationError, *, renamed: Mapping[str, str] | None = None
) -> None:
    """Put an action's messages next to the fields they are about, the rest on top of the form.
    ``renamed``: an action's field name -> the form field that holds it (a translatable text is
    typed in its Spanish field, ``name`` -> ``name_es``)."""
    for name, messages in error.errors.items():
        target = (renamed or {}).get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)
