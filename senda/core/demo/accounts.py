"""Demo tenants and staff: the programme coordination, the campaign partners and the Panama
health project, with a user for every role and one password everybody can read in the README.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import transaction
from django.test.utils import override_settings

from senda.accounts.actions import member_add, organisation_create
from senda.accounts.models import Membership, Organisation, TotpDevice, User
from senda.accounts.roles import Role, role_handles_personal_data
from senda.accounts.two_factor import totp_preenrol
from senda.core.demo.world import DemoWorld
from senda.geo.models import Country

# Published on purpose: the demo's logins are printed on screen and in the README.
DEMO_PASSWORD = "senda-demo-2025"  # noqa: S105
SUPERUSER_USERNAME = "superadmin"
EMAIL_DOMAIN = "demo.example.org"


@dataclass(frozen=True)
class TenantSpec:
    key: str
    slug: str
    name: str
    country: str | None
    is_network_editor: bool = False


@dataclass(frozen=True)
class UserSpec:
    username: str
    tenant: str
    role: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    organisation: str
    # How to get the second-factor code, for users who must use one.
    second_factor: str = ""


class DemoPasswordHasher(PBKDF2PasswordHasher):
    """Django's default hasher at full strength that hashes a password once per run: every
    demo login has the same published password, so one hash (with one random salt) serves
    them all instead of ~0.3 s of hashing per login. What it writes is an ordinary
    ``pbkdf2_sha256`` hash, checked at login by Django's own hasher."""

    def __init__(self) -> None:
        super().__init__()
        self.run_salt = super().salt()
        self.hashed: dict[tuple[str, str, int | None], str] = {}

    def salt(self) -> str:
        return self.run_salt

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        key = (password, salt, iterations)
        if key not in self.hashed:
            self.hashed[key] = super().encode(password, salt, iterations)
        return self.hashed[key]


DEFAULT_HASHER = "django.contrib.auth.hashers.PBKDF2PasswordHasher"


@contextmanager
def one_hash_per_password() -> Iterator[None]:
    """Within the block, new passwords are hashed by ``DemoPasswordHasher`` when Django's
    PBKDF2 hasher is the one configured (the tests' fast hasher stays as it is)."""
    hashers = list(settings.PASSWORD_HASHERS)
    if not hashers or hashers[0] != DEFAULT_HASHER:
        yield
        return
    with override_settings(PASSWORD_HASHERS=[f"{__name__}.DemoPasswordHasher", *hashers]):
        yield


def totp_code_command(username: str) -> str:
    return f"python manage.py totp_code {username}"


def _needs_totp(spec: UserSpec) -> bool:
    return role_handles_personal_data(spec.role)


# The tenants. Names are fictional on purpose: the real partners must not be misrepresented.
TENANTS: tuple[TenantSpec, ...] = (
    TenantSpec(
        "coord",
        "demo-coordinacion",
        "Coordinación Regional del Programa (ejemplo)",
        None,
        is_network_editor=True,
    ),
    # Migrar Informados — Mexico.
    TenantSpec("mx", "demo-mx", "Red Ejemplo de Puntos de Información (ficticia)", "MX"),
    # Échale Ganas — Guatemala.
    TenantSpec("gt", "demo-gt", "Asociación Juvenil Ejemplo Échale Ganas (ficticia)", "GT"),
    # Ponele Plan a Tu Vida — Honduras.
    TenantSpec("hn", "demo-hn", "Fundación Ejemplo Ponele Plan (ficticia)", "HN"),
    # Conectá con tu Futuro — El Salvador.
    TenantSpec("sv", "demo-sv", "Colectivo Ejemplo Conectá con tu Futuro (ficticio)", "SV"),
    # #YoCamino — Nicaragua.
    TenantSpec("ni", "demo-ni", "Red Juvenil Ejemplo #YoCamino (ficticia)", "NI"),
    TenantSpec("cr", "demo-cr", "Centro de Orientación Ejemplo Costa Rica (ficticio)", "CR"),
    # The Panama health project: promoters and volunteer community leaders...
    TenantSpec("pa", "demo-pa", "Proyecto Ejemplo Salud sin Fronteras Panamá (ficticio)", "PA"),
    # ...and the health district whose five centres receive their referrals.
    TenantSpec("pa-health", "demo-pa-salud", "Región de Salud Ejemplo Panamá (ficticia)", "PA"),
)

# Every role, spread over several organisations (one password, hashed once: see
# ``DemoPasswordHasher``).
USERS: tuple[UserSpec, ...] = (
    UserSpec("editor", "coord", Role.CONTENT_EDITOR, "Elena", "Editora (demo)"),
    UserSpec("oficial", "coord", Role.PROGRAMME_OFFICER, "Óscar", "Oficial (demo)"),
    UserSpec("donante", "coord", Role.VIEWER, "Diana", "Donante (demo)"),
    UserSpec("admin.pa", "pa", Role.ORG_ADMIN, "Ana", "Administradora (demo)"),
    UserSpec("promotor.pa", "pa", Role.HEALTH_PROMOTER, "Pedro", "Promotor (demo)"),
    UserSpec("voluntaria.pa", "pa", Role.COMMUNITY_VOLUNTEER, "Valeria", "Voluntaria (demo)"),
    UserSpec("supervisora.pa", "pa", Role.SUPERVISOR, "Silvia", "Supervisora (demo)"),
    UserSpec("focal.pa", "pa-health", Role.FOCAL_POINT, "Fabiola", "Enlace (demo)"),
    UserSpec("admin.gt", "gt", Role.ORG_ADMIN, "Gabriel", "Administrador (demo)"),
    UserSpec("editor.gt", "gt", Role.CONTENT_EDITOR, "Eva", "Editora (demo)"),
    UserSpec("punto.gt", "gt", Role.INFO_POINT_STAFF, "Gloria", "Punto (demo)"),
    UserSpec("punto.mx", "mx", Role.INFO_POINT_STAFF, "Marta", "Punto (demo)"),
    UserSpec("punto.hn", "hn", Role.INFO_POINT_STAFF, "Héctor", "Punto (demo)"),
    UserSpec("punto.sv", "sv", Role.INFO_POINT_STAFF, "Sofía", "Punto (demo)"),
    UserSpec("punto.ni", "ni", Role.INFO_POINT_STAFF, "Nora", "Punto (demo)"),
    UserSpec("punto.cr", "cr", Role.INFO_POINT_STAFF, "Carlos", "Punto (demo)"),
)


def demo_usernames() -> list[str]:
    return [SUPERUSER_USERNAME, *(spec.username for spec in USERS)]


def demo_slugs() -> list[str]:
    return [spec.slug for spec in TENANTS]


def _email(username: str) -> str:
    return f"{username}@{EMAIL_DOMAIN}"


def load(world: DemoWorld) -> None:
    """Create the tenants, their members and the superuser that are not there yet."""
    with one_hash_per_password():
        _load(world)


def _load(world: DemoWorld) -> None:
    existing = {o.slug: o for o in Organisation.objects.filter(slug__in=demo_slugs())}
    countries = Country.objects.in_bulk([s.country for s in TENANTS if s.country])
    created_any = False
    for tenant in TENANTS:
        organisation = existing.get(tenant.slug)
        if organisation is None:
            organisation = organisation_create(
                actor=None,
                name=tenant.name,
                slug=tenant.slug,
                country=countries[tenant.country] if tenant.country else None,
                is_network_editor=tenant.is_network_editor,
            )
            created_any = True
        world.organisations[tenant.key] = organisation

    users = {u.username: u for u in User.objects.filter(username__in=demo_usernames())}
    members = set(
        Membership.objects.filter(user__username__in=demo_usernames()).values_list(
            "user__username", "organisation__slug"
        )
    )
    for spec in USERS:
        organisation = world.organisations[spec.tenant]
        if (spec.username, organisation.slug) not in members:
            membership, _ = member_add(
                actor=None,
                organisation=organisation,
                username=spec.username,
                role=spec.role,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=_email(spec.username),
                password=DEMO_PASSWORD,
            )
            users[spec.username] = membership.user
            created_any = True
        world.users[spec.username] = users[spec.username]

    if SUPERUSER_USERNAME not in users:
        # Django's admin is for superusers only; there is no tenant action for making one.
        users[SUPERUSER_USERNAME] = User.objects.create_superuser(
            username=SUPERUSER_USERNAME,
            email=_email(SUPERUSER_USERNAME),
            password=DEMO_PASSWORD,
            first_name="Super",
            last_name="Admin (demo)",
        )
        created_any = True
    world.users[SUPERUSER_USERNAME] = users[SUPERUSER_USERNAME]

    # Users who must log in with a second factor get one already set up, with a secret made
    # for this install; `manage.py totp_code <username>` prints the code their app would show.
    must_enrol = [SUPERUSER_USERNAME, *(s.username for s in USERS if _needs_totp(s))]
    enrolled = set(
        TotpDevice.objects.filter(
            user__username__in=must_enrol, confirmed_at__isnull=False
        ).values_list("user__username", flat=True)
    )
    for username in must_enrol:
        if username not in enrolled:
            totp_preenrol(user=users[username])
            created_any = True
    if created_any:
        world.loaded.append("accounts")


def logins() -> list[DemoLogin]:
    """The demo logins to print: username, password, role, organisation."""
    names = {spec.key: spec.name for spec in TENANTS}
    rows = [
        DemoLogin(
            SUPERUSER_USERNAME,
            DEMO_PASSWORD,
            "Superuser (/admin/)",
            "—",
            totp_code_command(SUPERUSER_USERNAME),
        )
    ]
    for spec in USERS:
        rows.append(
            DemoLogin(
                spec.username,
                DEMO_PASSWORD,
                str(Role(spec.role).label),
                names[spec.tenant],
                totp_code_command(spec.username) if _needs_totp(spec) else "",
            )
        )
    return rows


@transaction.atomic
def reset() -> None:
    """Delete the demo tenants and users (run after the other domains').

    Their audit trail stays: the audit log is append-only, and its entries keep the usernames.
    """
    organisations = Organisation.objects.filter(slug__in=demo_slugs())
    users = User.objects.filter(username__in=demo_usernames())
    users.delete()
    organisations.delete()
