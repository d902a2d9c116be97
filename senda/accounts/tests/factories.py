from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import Role

TEST_PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        user = model_class(**kwargs)
        user.set_password(TEST_PASSWORD)
        user.save()
        return user


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.INFO_POINT_STAFF


def member(organisation: Organisation, role: str, **user_fields: Any) -> User:
    """A new user holding ``role`` in ``organisation``."""
    user = UserFactory.create(**user_fields)
    MembershipFactory.create(organisation=organisation, role=role, user=user)
    return user
