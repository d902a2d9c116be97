"""The field app (a progressive web app): its one page, web manifest, service worker and the
"who is signed in here" answer that its setup asks for.

The page is the same for everyone in a language (no personal data, no form token): the
service worker keeps it so that the app opens without a connection. Everything personal comes
later from the sync API and stays encrypted on the phone (see static/sync/field/store.js).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from senda.accounts.models import User
from senda.accounts.roles import CAPABILITIES, Capability
from senda.accounts.two_factor import needs_second_factor, session_is_verified
from senda.casework.actions.activities import MaterialKind
from senda.casework.models import (
    AgeGroup,
    Community,
    ConsentScope,
    ContactChannel,
    FollowUpStatus,
    OrientationOutcome,
    PlaceType,
    ReferralOutcome,
    ReferralReason,
    ReferralStatus,
    Sex,
    Urgency,
    Vaccine,
)
from senda.geo.models import Country

APP_DIR = "sync/field"
# The app's files, precached by its service worker (the entry module is named by the page).
APP_FILES = (
    "app.js",
    "screens.js",
    "sync.js",
    "store.js",
    "ui.js",
    "i18n.js",
    "field.css",
    "icon.svg",
    "icon-192.png",
    "icon-512.png",
)
SERVICE_WORKER_SOURCE = "sw.js"
FIELD_CAPABILITIES = (Capability.CASE_WORK, Capability.OUTREACH_RECORD)


def _choices(choices: Any) -> list[list[str]]:
    return [[str(value), str(label)] for value, label in choices]


def _countries() -> list[list[str]]:
    # Reference data (no organisation's): the nationalities a person may have.
    countries = [[country.code, str(country.tr("name"))] for country in Country.objects.all()]
    return sorted(countries, key=lambda pair: pair[1])


def app_config() -> dict[str, Any]:
    """What the scripts need, in the request's language: every sentence, the lists of the
    forms and the addresses of the API."""
    return {
        "language": get_language(),
        "strings": strings(),
        "choices": {
            "sex": _choices(Sex.choices),
            "age_group": _choices(AgeGroup.choices),
            "community": _choices(Community.choices),
            "channel": _choices(ContactChannel.choices),
            "place_type": _choices(PlaceType.choices),
            "orientation_outcome": _choices(OrientationOutcome.choices),
            "reason": _choices(ReferralReason.choices),
            "urgency": _choices(Urgency.choices),
            "referral_status": _choices(ReferralStatus.choices),
            "referral_outcome": _choices(ReferralOutcome.choices),
            "follow_up_status": _choices(FollowUpStatus.choices),
            "consent_scope": _choices(ConsentScope.choices),
            "vaccine": _choices(Vaccine.choices),
            "material": _choices(MaterialKind.choices),
            "country": _countries(),
        },
        "countries": _countries(),
        "urls": {
            "app": reverse("fieldapp:shell"),
            "sw": reverse("fieldapp:service_worker"),
            "session": reverse("fieldapp:session"),
            "login": reverse("accounts:login"),
            "devices": "/api/sync/devices",
            "push": "/api/sync/push",
            "pull": "/api/sync/pull",
            "conflicts": "/api/sync/conflicts/",
        },
    }


@require_GET
def shell(request: HttpRequest) -> HttpResponse:
    """The app's only page: the screens are drawn by its scripts from the local store."""
    response = render(request, "sync/app/shell.html", {"app_config": app_config()})
    # Revalidated on every visit online; the service worker serves its copy offline.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """Installable on the home screen, opening the app in the language it was installed in."""
    data = {
        "name": _("Senda field app"),
        "short_name": _("Senda field"),
        "description": _("Register, orient, refer and follow up, with or without a connection."),
        "lang": get_language(),
        "id": reverse("fieldapp:shell"),
        "start_url": reverse("fieldapp:shell"),
        "scope": reverse("fieldapp:shell"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b5c8c",
        "icons": [
            {"src": static(f"{APP_DIR}/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static(f"{APP_DIR}/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static(f"{APP_DIR}/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": static(f"{APP_DIR}/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response


@lru_cache(maxsize=1)
def _files_digest() -> str:
    """Changes whenever one of the app's files or its page template changes: a new service
    worker then fetches them all again."""
    digest = hashlib.sha256()
    for name in (*APP_FILES, SERVICE_WORKER_SOURCE):
        found = finders.find(f"{APP_DIR}/{name}")
        if found:
            digest.update(Path(str(found)).read_bytes())
    digest.update(
        (Path(__file__).parent / "templates" / "sync" / "app" / "shell.html").read_bytes()
    )
    return digest.hexdigest()


def _precached() -> list[str]:
    urls = [reverse("fieldapp:shell"), reverse("fieldapp:manifest")]
    for name in APP_FILES:
        path = f"{APP_DIR}/{name}"
        urls.append(static(path))
        # Modules import each other by plain name ("./sync.js"): keep that address too when
        # the storage gives the page hashed names.
        plain = f"{settings.STATIC_URL}{path}"
        if plain not in urls:
            urls.append(plain)
    return urls


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The app's service worker, scoped to the app's address in this language."""
    # The sentences are part of the page it keeps: a new translation is a new version.
    page = render_to_string("sync/app/shell.html", {"app_config": app_config()}, request=None)
    version = hashlib.sha256((_files_digest() + page).encode()).hexdigest()[:16]
    source = finders.find(f"{APP_DIR}/{SERVICE_WORKER_SOURCE}")
    assert source, "the service worker's source is missing"
    header = (
        f"const VERSION = {json.dumps('senda-field-' + get_language() + '-' + version)};\n"
        f"const SHELL = {json.dumps(reverse('fieldapp:shell'))};\n"
        f"const PRECACHE = {json.dumps(_precached())};\n"
    )
    response = HttpResponse(
        header + Path(str(source)).read_text(encoding="utf-8"), content_type="text/javascript"
    )
    response["Service-Worker-Allowed"] = reverse("fieldapp:shell")
    # Browsers look for a new worker on each visit; never let a cache answer for it.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def session(request: HttpRequest) -> JsonResponse:
    """Whether the browser is signed in (second factor proven) and may set up a device, with
    the form token the device registration needs. Never cached."""
    user = request.user
    signed_in = (
        isinstance(user, User)
        and user.is_authenticated
        and (session_is_verified(request.session, user) or not needs_second_factor(user))
    )
    body: dict[str, Any] = {"signed_in": bool(signed_in), "may_register": False}
    if signed_in and isinstance(user, User):
        membership = user.active_membership()
        capabilities = CAPABILITIES.get(membership.role, frozenset()) if membership else frozenset()
        body.update(
            {
                "may_register": any(c in capabilities for c in FIELD_CAPABILITIES),
                "username": user.get_username(),
                "display_name": user.get_full_name() or user.get_username(),
                "country": (membership.organisation.country_id or "") if membership else "",
                "csrf_token": get_token(request),
            }
        )
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


def _counted(forms: Callable[[int], str]) -> list[str]:
    """A counted sentence as the app's pair [one, other] (both of its languages have two forms).

    ``forms`` calls ``ngettext`` with the literal sentences, so that makemessages finds them."""
    return [forms(1), forms(2)]


def strings() -> dict[str, Any]:
    """Every sentence of the app's scripts, in the active language."""
    return {
        # Setup, PIN, lock, wipe
        "setup_title": _("Set up this phone"),
        "setup_intro": _(
            "The field app keeps your work on this phone, encrypted, so that you can register, "
            "orient and refer people without a connection."
        ),
        "checking": _("Checking your login…"),
        "setup_login": _("First log in to Senda with your user name, password and code."),
        "log_in": _("Log in"),
        "setup_not_allowed": _(
            "Your role does not include field work. Ask your organisation's admin."
        ),
        "setup_offline": _(
            "There is no connection. Setting up the phone needs one, once: try again when "
            "you have signal or Wi-Fi."
        ),
        "try_again": _("Try again"),
        "setup_pin_intro": _(
            "Choose a PIN of at least 6 digits. You will type it to open the app; it protects "
            "the data on this phone. Nobody can recover it: if you forget it, the data on the "
            "phone is deleted and you set it up again."
        ),
        "device_name": _("Name of this phone"),
        "device_name_help": _("So that your supervisor recognises it, e.g. 'Moto G (Ana)'."),
        "device_default_name": _("Phone of %(name)s"),
        "device_name_required": _("Give this phone a name."),
        "pin_choose": _("Choose a PIN"),
        "pin_help": _("6 to 12 digits."),
        "pin_again": _("Type the PIN again"),
        "pin_format": _("The PIN has 6 to 12 digits, nothing else."),
        "pin_too_simple": _("Choose a PIN that is harder to guess (not 111111 or 123456)."),
        "pin_mismatch": _("The two PINs are different."),
        "setup_submit": _("Set up this phone"),
        "setting_up": _("Setting up this phone…"),
        "setup_done": _("This phone is ready. Your data is being downloaded."),
        "unsupported": _(
            "This browser cannot keep data encrypted. Use an up-to-date Chrome, Firefox or Safari."
        ),
        "locked_title": _("Enter your PIN"),
        "locked_intro": _("The data on this phone is locked."),
        "locked_idle": _("The app locked itself after a while without use."),
        "pin": _("PIN"),
        "unlock": _("Unlock"),
        "pin_wrong": _counted(
            lambda n: ngettext(
                "Wrong PIN. %(count)d attempt left before the data on this phone is deleted.",
                "Wrong PIN. %(count)d attempts left before the data on this phone is deleted.",
                n,
            )
        ),
        "forgot_pin": _("I forgot my PIN"),
        "wiped_pin": _(
            "The PIN was wrong too many times: the data on this phone has been deleted. Set it "
            "up again."
        ),
        "wiped_inactive": _(
            "The app was not opened for more than %(hours)d hours: the data on this phone has "
            "been deleted. Set it up again."
        ),
        "wiped_revoked": _(
            "This phone was disconnected from Senda by your organisation. The data on it has "
            "been deleted."
        ),
        "wiped_signed_out": _("You signed out of this phone. Its data has been deleted."),
        "sign_out_title": _("Sign out of this phone"),
        "sign_out_intro": _(
            "Signing out deletes everything the app keeps on this phone. You can set it up "
            "again later."
        ),
        "sign_out_unsent": _counted(
            lambda n: ngettext(
                "%(count)d record has not reached the server yet and would be lost. Sync "
                "first if you can.",
                "%(count)d records have not reached the server yet and would be lost. Sync "
                "first if you can.",
                n,
            )
        ),
        "sign_out_confirm": _("Delete the data and sign out"),
        "cancel": _("Cancel"),
        # Header and sync
        "syncing": _("Sending and receiving…"),
        "waiting_count": _counted(
            lambda n: ngettext("%(count)d waiting to send", "%(count)d waiting to send", n)
        ),
        "all_sent": _("Everything sent"),
        "never_synced": _("Not synced yet"),
        "sync_now": _("Sync now"),
        "sync_done": _("Synced: everything recorded on this phone is on the server."),
        "attention_count": _counted(
            lambda n: ngettext(
                "%(count)d record needs your attention", "%(count)d records need your attention", n
            )
        ),
        "problem_offline": _(
            "No connection: your records are safe on this phone and will be sent when there is one."
        ),
        "problem_server": _(
            "The server could not take the records right now. They are safe on this phone; the "
            "app will try again."
        ),
        "problem_unknown": _(
            "The server no longer recognises this phone. Sign out of it and set it up again "
            "(sync what you can first: ask your supervisor)."
        ),
        "problem_invalid": _("The server refused the upload."),
        # Home and navigation
        "home_title": _("Field work"),
        "register_person": _("Register a person"),
        "people": _("People"),
        "my_tasks": _("My tasks"),
        "tasks_due_count": _counted(
            lambda n: ngettext("My tasks (%(count)d due)", "My tasks (%(count)d due)", n)
        ),
        "my_referrals": _("My referrals"),
        "record_outreach": _("Record outreach"),
        "record_vaccination": _("Record a vaccination session"),
        "outbox": _("Sent and waiting"),
        "decisions_count": _counted(
            lambda n: ngettext("%(count)d needs your decision", "%(count)d need your decision", n)
        ),
        "no_reference_data": _(
            "The lists of areas, topics and services arrive with the first sync."
        ),
        "this_device": _("This phone"),
        "back_home": _("Back to the start"),
        "back_people": _("Back to people"),
        "back_referrals": _("Back to my referrals"),
        "back_tasks": _("Back to my tasks"),
        "back_outbox": _("Back to sent and waiting"),
        "not_found": _("Not on this phone"),
        "not_found_help": _(
            "This record is not on this phone (it may have been removed or not synced yet)."
        ),
        # Forms
        "form_has_errors": _("Please correct what is marked:"),
        "storage_failed": _(
            "The phone's storage could not be read. Close the app, open it again and unlock it."
        ),
        "save_failed": _(
            "This could not be saved on the phone. Nothing was lost from the form: try again."
        ),
        "save": _("Save"),
        "too_long": _("Use at most %(count)d characters."),
        "not_future": _("The date cannot be in the future."),
        "yes": _("Yes"),
        "no": _("No"),
        # People
        "search_people": _("Search by name, card code or phone"),
        "people_count": _counted(
            lambda n: ngettext(
                "%(count)d person on this phone", "%(count)d people on this phone", n
            )
        ),
        "no_people": _("Nobody registered on this phone yet."),
        "no_people_found": _("Nobody matches the search."),
        "unknown_person": _("(person not on this phone)"),
        "consent_first": _("First, consent: read these questions to the person"),
        "consent_note": _(
            "Without the first yes, do not register the person: count them in the outreach "
            "tally of the day."
        ),
        "consent_record": _(
            "Do you agree that we write down your name, phone and these details, to help you "
            "and follow up with you? You can ask us to delete them at any time."
        ),
        "consent_contact": _("Do you agree that we call or message you to know how things went?"),
        "consent_share": _(
            "If we refer you to a health centre or another organisation, do you agree that we "
            "share with them what they need to attend you?"
        ),
        "consent_title": _("Consent"),
        "consent_contact_short": _("Agrees to be contacted"),
        "consent_share_short": _("Agrees to sharing with a service"),
        "consent_withdraw_help": _(
            "If the person no longer agrees, record it here. Withdrawing the consent to record "
            "their data deletes it from Senda and from this phone."
        ),
        "consent_scope": _("What the person no longer agrees to"),
        "consent_scope_required": _("Choose what the person no longer agrees to."),
        "consent_withdraw": _("Record the withdrawal"),
        "saved_consent": _("Withdrawal saved; it is applied with the next sync."),
        "consent_required": _("The person did not agree to be recorded: do not register them."),
        "no_consent": _(
            "Without consent to record their data, count the person anonymously in the "
            "outreach tally instead."
        ),
        "count_in_tally": _("Count them in the outreach tally"),
        "about_person": _("About the person"),
        "given_name": _("Given name"),
        "family_name": _("Family name"),
        "phone": _("Phone or WhatsApp"),
        "whatsapp": _("WhatsApp on this number"),
        "sex": _("Sex"),
        "year_of_birth": _("Year of birth"),
        "age_group_alt": _("Or age group (when the year is not known)"),
        "age_group": _("Age group"),
        "age": _("Age"),
        "nationality": _("Nationality"),
        "area_lives": _("Area where they live"),
        "community": _("Migrant or host community"),
        "notes": _("Follow-up notes"),
        "notes_help": _("Only what is needed to follow up (for example 'pregnant, 7 months')."),
        "given_name_required": _("Write the person's given name (a first name is enough)."),
        "phone_invalid": _("Write a phone number with 7 to 15 digits, such as +507 6123-4567."),
        "sex_required": _("Choose the person's sex (or 'other or not stated')."),
        "community_required": _(
            "Choose whether the person is a migrant or from the host community."
        ),
        "year_invalid": _("Write a year of birth between %(first)d and %(last)d."),
        "age_required": _("Give the year of birth or choose an age group."),
        "register": _("Register"),
        "saved_person": _(
            "Registered on this phone with card code %(code)s. It will be sent with the next sync."
        ),
        "card_code": _("Card code"),
        "edit_person": _("Correct the person's details"),
        "nothing_changed": _("Nothing changed."),
        "saved_change": _("Saved on this phone; it will be sent with the next sync."),
        # Orientation
        "record_orientation": _("Record an orientation"),
        "when": _("When"),
        "when_required": _("Give the date and time of the orientation."),
        "topics": _("Topics"),
        "topics_required": _("Choose at least one topic."),
        "channel": _("Channel"),
        "channel_required": _("Choose how the orientation took place."),
        "place_type": _("Type of place"),
        "place_required": _("Choose a type of place."),
        "outcome": _("Outcome"),
        "outcome_required": _("Choose how the orientation ended."),
        "note": _("Note"),
        "saved_orientation": _("Orientation saved on this phone."),
        # Referrals
        "refer": _("Refer to a service"),
        "referral": _("Referral"),
        "referrals": _("Referrals"),
        "reason": _("Reason"),
        "reason_required": _("Choose the reason for the referral."),
        "service": _("Service"),
        "search_services": _("Search the directory (name, place, what it offers)"),
        "services_count": _counted(
            lambda n: ngettext("%(count)d service", "%(count)d services", n)
        ),
        "no_services": _("No services on this phone yet: they arrive with the first sync."),
        "service_required": _("Choose the service the person is referred to."),
        "unknown_service": _("(service not on this phone)"),
        "urgency": _("Urgency"),
        "urgency_required": _("Choose how urgent it is."),
        "referral_note": _("Note for the service"),
        "referral_note_help": _("Only what the service needs to attend the person."),
        "send_referral": _("Save the referral"),
        "saved_referral": _(
            "Referral saved on this phone; it goes to the service with the next sync."
        ),
        "no_referrals": _("No referrals yet."),
        "person": _("Person"),
        "status": _("Status"),
        "feedback": _("Feedback from the service"),
        "sent_at": _("Sent"),
        "history": _("History"),
        "cancel_referral": _("Cancel this referral"),
        "cancel_reason": _("Why it is no longer needed"),
        "cancel_reason_required": _("Say why the referral is cancelled."),
        # Tasks
        "overdue": _("Overdue"),
        "today": _("Today"),
        "coming": _("Coming"),
        "done_recently": _("Done recently"),
        "no_tasks": _("Nothing here."),
        "task": _("Task"),
        "due": _("Due on"),
        "due_on": _("Due %(date)s"),
        "task_note": _("What happened (optional)"),
        "mark_done": _("Mark as done"),
        "saved_task": _("Task marked done on this phone."),
        # Outreach and vaccination
        "date": _("Date"),
        "date_required": _("Give the date."),
        "place_name": _("Place name"),
        "place_name_required": _("Write where the session took place."),
        "area": _("Area"),
        "area_required": _("Choose the area."),
        "people_reached": _("People reached"),
        "tally_help": _("Count people, never names. Empty boxes count as 0."),
        "tally_required": _("Count at least one person reached."),
        "count_invalid": _("Enter a number from 0 to %(limit)d."),
        "materials": _("Materials given"),
        "no_names": _("No names or other personal details."),
        "saved_outreach": _("Outreach saved on this phone."),
        "doses_given": _("Doses given"),
        "doses_help": _("By vaccine and age group. Empty boxes count as 0."),
        "doses_required": _("Count at least one dose."),
        "people_referred": _("People referred onwards"),
        "saved_vaccination": _("Vaccination session saved on this phone."),
        # Outbox, rejections, conflicts
        "state_waiting": _("Waiting to send"),
        "state_sent": pgettext("outbox record state", "Sent"),
        "state_rejected": _("Not accepted"),
        "state_conflict": _("Needs your decision"),
        "changes": _("Recorded on this phone"),
        "nothing_to_send": _("Nothing recorded on this phone yet."),
        "merged_notes": _("Someone else also wrote notes: both versions were kept."),
        "needs_decision": _("Needs your decision"),
        "needs_decision_help": _(
            "Someone changed the same thing on the server. Choose which value to keep."
        ),
        "conflict_message": _("%(field)s was changed on the server too."),
        "on_this_phone": _("On this phone"),
        "on_the_server": _("On the server"),
        "keep_mine": _("Keep mine"),
        "keep_server": _("Keep the server's"),
        "decision_refused": _("The server could not apply your choice."),
        "empty_value": _("(empty)"),
        "not_accepted": _("Not accepted by the server"),
        "not_accepted_help": _(
            "These records are still on this phone. Open one, correct it and send it again."
        ),
        "fix_title": _("Correct and send again"),
        "fix_intro": _("The server did not accept this record, for the reasons shown."),
        "send_again": _("Send again"),
        "saved_resend": _("Corrected; it will be sent with the next sync."),
        "discard": _("Delete from this phone"),
        "discard_confirm": _(
            "Delete this record from the phone? It was never saved on the server."
        ),
        "kind_person": _("Person"),
        "kind_orientation": _("Orientation"),
        "kind_referral": _("Referral"),
        "kind_outreach": _("Outreach"),
        "kind_vaccination": _("Vaccination session"),
        "kind_follow_up": _("Task"),
        "kind_consent": _("Consent"),
        "field_given_name": _("Given name"),
        "field_family_name": _("Family name"),
        "field_phone": _("Phone or WhatsApp"),
        "field_whatsapp": _("WhatsApp on this number"),
        "field_sex": _("Sex"),
        "field_year_of_birth": _("Year of birth"),
        "field_age_group": _("Age group"),
        "field_nationality": _("Nationality"),
        "field_area": _("Area"),
        "field_community": _("Migrant or host community"),
        "field_notes": _("Follow-up notes"),
        "field_note": _("Note"),
        "field_status": _("Status"),
        "field_code": _("Card code"),
        "field_person": _("Person"),
        "field_topics": _("Topics"),
        "field_service_at_location": _("Service"),
        "field_tallies": _("People reached"),
        "field_doses": _("Doses given"),
        "field_date": _("Date"),
        "field_place_name": _("Place name"),
        "field_occurred_at": _("When"),
        "field_scope": _("Consent to"),
        # This phone
        "signed_in_as": _("Signed in as"),
        "organisation": _("Organisation"),
        "last_sync": _("Last sync"),
        "never": _("Never"),
        "device_protection": _(
            "The data on this phone is encrypted with your PIN. The app locks after "
            "%(minutes)d minutes without use and deletes its data if it is not opened for "
            "%(hours)d hours."
        ),
    }
