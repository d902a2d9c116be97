"""``manage.py rotate_keys``: re-encrypt every encrypted field of every model under the first
SENDA_FIELD_KEYS key, and recompute people's search hashes under the first SENDA_SEARCH_KEYS
key. Without downtime: old keys still decrypt and lookups match any configured key while it
runs. In batches, each in its own transaction; rows already under the current keys are skipped,
so an interrupted run simply starts again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast

from senda.casework.keys import search_digests
from senda.casework.models import Person, PersonSearchKey
from senda.core.crypto import decrypt_text, encrypted_under_current_key, reset_key_cache
from senda.core.fields import EncryptedTextField


def encrypted_fields() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every concrete model with encrypted fields (found by introspection, not a list)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField) and field.model is model
        ]
        if fields:
            found.append((model, fields))
    return found


def _raw(name: str) -> str:
    return f"_stored_{name}"


def reencrypt_model(
    model: type[models.Model],
    fields: list[EncryptedTextField],
    batch_size: int,
    progress: Callable[[int, int], None] = lambda checked, changed: None,
) -> tuple[int, int]:
    """(rows checked, rows re-encrypted) for one model. The stored ciphertext is read as is
    (cast to text, so the field does not decrypt it) to see which key made it."""
    manager = model._base_manager
    checked = changed = 0
    last: Any = None
    while True:
        rows = manager.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        batch = list(
            rows.annotate(
                **{_raw(f.name): Cast(f.attname, output_field=models.TextField()) for f in fields}
            ).values_list("pk", *(_raw(f.name) for f in fields))[:batch_size]
        )
        if not batch:
            return checked, changed
        with transaction.atomic():
            for pk, *tokens in batch:
                stale = {
                    field.attname: decrypt_text(token)
                    for field, token in zip(fields, tokens, strict=True)
                    if token and not encrypted_under_current_key(token)
                }
                if stale:
                    # The plain values go back through the field: encrypted under the first key.
                    manager.filter(pk=pk).update(**stale)
                    changed += 1
        checked += len(batch)
        last = batch[-1][0]
        progress(checked, changed)


def recompute_search_keys(
    batch_size: int, progress: Callable[[int, int], None] = lambda checked, changed: None
) -> tuple[int, int]:
    """(people checked, people whose search keys changed)."""
    checked = changed = 0
    last: Any = None
    while True:
        people = Person.objects.filter(erased_at__isnull=True).order_by("pk")
        if last is not None:
            people = people.filter(pk__gt=last)
        batch = list(people.prefetch_related("search_keys")[:batch_size])
        if not batch:
            return checked, changed
        with transaction.atomic():
            for person in batch:
                wanted = search_digests(person.given_name, person.family_name, person.phone)
                stored = {(key.kind, key.digest) for key in person.search_keys.all()}
                if wanted != stored:
                    PersonSearchKey.objects.filter(person=person).delete()
                    PersonSearchKey.objects.bulk_create(
                        PersonSearchKey(
                            person=person,
                            organisation_id=person.organisation_id,
                            kind=kind,
                            digest=digest,
                        )
                        for kind, digest in sorted(wanted)
                    )
                    changed += 1
        checked += len(batch)
        last = batch[-1].pk
        progress(checked, changed)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the first SENDA_FIELD_KEYS key and recompute "
        "search hashes under the first SENDA_SEARCH_KEYS key (resumable, no downtime)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        reset_key_cache()
        batch_size = max(1, options["batch_size"])
        for model, fields in encrypted_fields():
            label = model._meta.label

            def report(done: int, new: int, label: str = label) -> None:
                self.stdout.write(f"  {label}: {done} checked, {new} re-encrypted so far")

            checked, changed = reencrypt_model(model, fields, batch_size, report)
            self.stdout.write(
                f"{label} ({', '.join(f.name for f in fields)}): "
                f"{checked} rows checked, {changed} re-encrypted"
            )
        checked, changed = recompute_search_keys(
            batch_size,
            lambda done, new: self.stdout.write(
                f"  search keys: {done} people checked, {new} updated so far"
            ),
        )
        self.stdout.write(f"Search keys: {checked} people checked, {changed} updated")
        self.stdout.write("Done. The old keys can now be removed from the environment.")
