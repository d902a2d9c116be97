"""The checklist without a connection, in a real headless Chromium.

The offline checklist (senda/pathways/offline.py and static/pathways/offline-checklist.js)
computes in the browser what the server computes in senda/pathways/checklist.py and
eligibility.py. These tests keep both in lock-step (the same screens, fits, reasons, ranking,
merged documents and nearest information points for many answers, on the demo guides and on
rules that use every operator), walk the six screens offline with answers never opened
online, and check the page is accessible.
"""

from __future__ import annotations

import gzip
import itertools
import random
from typing import Any
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation

from senda.core import demo
from senda.core.demo import pathways as demo_pathways
from senda.directory.models import Taxonomy, TaxonomyTerm
from senda.directory.reference import load_taxonomy
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference
from senda.pathways import checklist
from senda.pathways.eligibility import AGE_GROUPS, PURPOSES, evaluate_outcome
from senda.pathways.models import Document
from senda.pathways.tests.factories import (
    ChannelDocumentFactory,
    ChannelFactory,
    DocumentFactory,
    DocumentSourceFactory,
)
from senda.pathways.views import _info_points

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SHELL_BUDGET = 30 * 1024
REGION = ["MX", "GT", "HN", "SV", "NI"]

# The JS result reduced to what the server's result shows, in the same shapes.
JS_RESULTS = """(queries) => queries.map((search) => {
  const r = window.sendaOfflineChecklist.result(search);
  const fit = (f) => [f.channel.country, f.channel.slug, f.reasons, f.matched];
  return {
    fitting: r.fitting.map(fit),
    not_fitting: r.notFitting.map(fit),
    documents: r.documents.map((d) => [d.slug, d.held, d.sources, d.notes]),
    labels: r.labels,
    points: r.informationPoints.map((p) => [p.name, p.url, p.place || ""]),
  };
})"""

JS_SCREENS = """(queries) => queries.map((search) => {
  const s = window.sendaOfflineChecklist.nextScreen(search);
  return s && [s.name, s.number, s.selected.slice().sort(), s.error, s.hidden, s.backQuery,
               s.choices.map((c) => c[0])];
})"""


@pytest.fixture
def guides_world(transactional_db: None) -> None:
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    if not TaxonomyTerm.objects.exists():
        load_taxonomy(Taxonomy, TaxonomyTerm)
    world = demo.load_all(upto=demo_pathways)
    demo_pathways.load(world)


def python_result(search: str) -> dict[str, Any]:
    """The server's result for ``search`` in the shape of ``JS_RESULTS``."""
    query = QueryDict(search)
    answers, _errors = checklist.parse(query)
    result = checklist.build_result(answers)
    area = dict(checklist.carried(query)).get("area", "")

    def fit(item: checklist.ChannelFit) -> list[Any]:
        return [item.channel.country_id, item.channel.slug, item.reasons, item.matched]

    return {
        "fitting": [fit(item) for item in result.fitting],
        "not_fitting": [fit(item) for item in result.not_fitting],
        "documents": [
            [
                item.document.slug,
                item.held,
                [
                    [str(s.tr("where")), str(s.tr("usual_cost")), str(s.tr("usual_time"))]
                    for s in item.sources
                ],
                item.notes,
            ]
            for item in result.documents
        ],
        "labels": result.labels,
        "points": [
            [
                str(hit.service.tr("name")),
                reverse("portal:service", args=[hit.service.pk]),
                str(hit.location.tr("name") or ""),
            ]
            for hit in _info_points(answers["current_country"], area)
        ],
    }


def python_screen(search: str) -> list[Any] | None:
    screen = checklist.next_screen(QueryDict(search))
    if screen is None:
        return None
    return [
        screen.name,
        screen.number,
        sorted(screen.selected),
        screen.error,
        [list(pair) for pair in screen.hidden],
        screen.back_query,
        [choice.value for choice in screen.choices],
    ]


def answers_query(
    nationality: str,
    here: str,
    destination: str,
    purpose: str,
    age: str,
    documents: list[str],
    extra: list[tuple[str, str]] | None = None,
) -> str:
    pairs = [
        ("nationality", nationality),
        ("current_country", here),
        ("destination", destination),
        ("purpose", purpose),
        ("age_group", age),
        *[("documents_held", slug) for slug in documents],
        ("documents_done", "1"),
        *(extra or []),
    ]
    return urlencode(pairs)


def open_offline_page(page: Any, server: str) -> None:
    page.goto(server + "/en/guides/checklist/offline/")
    page.wait_for_function("() => window.sendaOfflineChecklist !== undefined")


def assert_same_results(page: Any, queries: list[str]) -> list[dict[str, Any]]:
    with translation.override("en"):
        expected = [python_result(search) for search in queries]
    got = page.evaluate(JS_RESULTS, queries)
    for search, mine, theirs in zip(queries, got, expected, strict=True):
        assert mine == theirs, search
    return expected


def test_the_browser_computes_the_demo_results_as_the_server_does(
    live_server: Any, page: Any, guides_world: None
) -> None:
    # given the demo guides and every kind of answer, drawn at random but repeatably
    countries = list(Country.objects.values_list("code", flat=True))
    destinations = [c.code for c in checklist.queries.countries_with_guides()]
    identity = [d.slug for d in checklist.queries.identity_documents()]
    areas = list(AdminArea.objects.values_list("pcode", "country_id"))
    pick = random.Random(3)
    queries = []
    for destination in destinations:
        for purpose, _round in itertools.product(PURPOSES, range(3)):
            # Mostly people of the region (the demo rules are about them), some from anywhere.
            nationality = pick.choice(REGION if pick.random() < 0.8 else countries)
            here = pick.choice([nationality, destination, pick.choice(countries)])
            extra = []
            if pick.random() < 0.4:
                # An area of the country the person is in (or, sometimes, of another one).
                in_country = [pcode for pcode, code in areas if code == here] or ["XX01"]
                pool = in_country if pick.random() < 0.8 else [pcode for pcode, _ in areas]
                extra.append(("area", pick.choice(pool)))
            if pick.random() < 0.2:
                extra.append(("via", "abc2345"))
            queries.append(
                answers_query(
                    nationality,
                    here,
                    destination,
                    purpose,
                    pick.choice(list(AGE_GROUPS)),
                    pick.sample(identity, pick.randint(0, len(identity))),
                    extra,
                )
            )
    # the cases the demo rules turn on: Guatemalans working in Mexico, minors, Mexicans
    queries += [
        answers_query("GT", "GT", "MX", "work", "18_24", ["national-id"]),
        answers_query("GT", "GT", "MX", "work", "under_18", []),
        answers_query("MX", "MX", "MX", "protection", "25_59", ["passport"]),
        answers_query("HN", "MX", "MX", "protection", "60_plus", identity),
        answers_query("SV", "SV", "US", "work", "25_59", ["passport"]),
    ]
    open_offline_page(page, live_server.url)
    # then the browser's results are the server's
    expected = assert_same_results(page, queries)
    # (and the sample is not trivial: fits and misfits, documents held and not, help nearby)
    assert sum(1 for result in expected if result["fitting"]) >= 40
    assert sum(1 for result in expected if result["not_fitting"]) >= 40
    held = {document[1] for result in expected for document in result["documents"]}
    assert held == {True, False}
    assert sum(1 for result in expected if result["points"]) >= 40

    # and so are the screens, whatever the address holds
    screens = [
        "",
        "nationality=gt",
        "nationality=XX&step=nationality",
        "step=nationality",
        "nationality=GT&nationality=HN&current_country=GT",
        "nationality=GT&current_country=GT&destination=MX&via=abc2345&area=GT01",
        "nationality=GT&current_country=GT&destination=MX&purpose=work&age_group=18_24",
        "nationality=GT&current_country=GT&destination=MX&purpose=work&age_group=18_24"
        "&documents_held=passport",
        "nationality=GT&current_country=GT&destination=MX&purpose=work&age_group=18_24"
        "&documents_held=nonsense&documents_done=1",
        "nationality=GT&current_country=GT&destination=MX&purpose=work&age_group=18_24"
        "&documents_held=passport&documents_done=1&edit=purpose&via=bad%20code&area=a+b",
        "nationality=GT&current_country=GT&destination=ZZ&purpose=fun&step=destination",
        "edit=documents_held&documents_held=national-id&documents_held=national-id",
    ]
    with translation.override("en"):
        shown = [python_screen(search) for search in screens]
    assert page.evaluate(JS_SCREENS, screens) == shown


def test_every_operator_and_broken_rules_evaluate_alike(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    # given channels whose rules use every operator, nested, on every answer
    passport = DocumentFactory.create(slug="pass-x", name="Pasaporte X", is_identity=True)
    card = DocumentFactory.create(slug="card-x", name="Cédula X", is_identity=True)
    letter = DocumentFactory.create(slug="letter-x", name="Carta X", is_identity=False)
    DocumentSourceFactory.create(document=passport, country_id="GT", where="IGM")
    DocumentSourceFactory.create(
        document=letter,
        country_id="HN",
        where="Empleador",
        usual_cost="0",
        translations={"en": {"where": "Employer", "usual_time": "A week"}},
    )
    rules: list[Any] = [
        {},
        {"answer": "nationality", "in": ["GT", "HN"]},
        {"answer": "current_country", "not_in": ["MX"]},
        {"answer": "destination", "in": ["MX"]},
        {
            "all": [
                {"answer": "purpose", "in": ["work", "study"]},
                {"answer": "age_group", "not_in": ["under_18"]},
            ]
        },
        {
            "any": [
                {"answer": "documents_held", "in": ["pass-x"]},
                {"answer": "age_group", "in": ["60_plus"]},
            ]
        },
        {"answer": "documents_held", "not_in": ["card-x", "pass-x"]},
        {
            "not": {
                "any": [
                    {"answer": "nationality", "in": ["MX"]},
                    {
                        "all": [
                            {"answer": "purpose", "in": ["visit"]},
                            {"not": {"answer": "documents_held", "in": ["pass-x", "zz-unknown"]}},
                        ]
                    },
                ]
            }
        },
        {"not": {"not": {"answer": "purpose", "in": ["family"]}}},
        # Saved before validation existed: shown as being reviewed, never hiding the page.
        {"answer": "shoe_size", "in": ["42"]},
        {"all": []},
    ]
    for number, rule in enumerate(rules):
        channel = ChannelFactory.create(
            published=True, country_id="MX", name=f"Canal {number % 4}", eligibility=rule
        )
        for position, document in enumerate([passport, letter, card][: number % 4]):
            ChannelDocumentFactory.create(
                channel=channel,
                document=document,
                position=position,
                note="Original y copia" if number % 2 else "",
                translations={"en": {"note": "Original and a copy"}} if number % 2 else {},
            )
    ChannelFactory.create(country_id="MX", eligibility={}, name="Borrador")  # a draft: never shown
    countries = ["GT", "HN", "MX", "SV"]
    queries = [
        answers_query(nationality, here, "MX", purpose, age, held)
        for nationality in countries
        for here, purpose, age, held in [
            ("MX", "work", "18_24", []),
            ("GT", "visit", "under_18", ["pass-x"]),
            ("GT", "family", "60_plus", ["card-x", "pass-x"]),
            ("HN", "study", "25_59", ["card-x"]),
            ("SV", "protection", "under_18", ["pass-x", "card-x"]),
        ]
    ]
    open_offline_page(page, live_server.url)
    # then whole results agree
    assert_same_results(page, queries)

    # and so does each rule on partial answers (a missing answer never fits)
    partial: list[dict[str, Any]] = [
        {},
        {"purpose": "work"},
        {"nationality": "MX", "documents_held": []},
        {"nationality": "GT", "age_group": "60_plus", "documents_held": ["pass-x"]},
        {"purpose": "visit", "documents_held": ["card-x"], "current_country": "MX"},
    ]
    with translation.override("en"):
        names = {c.code: str(c.tr("name")) for c in Country.objects.all()}
        documents = {d.slug: str(d.tr("name")) for d in Document.objects.all()}

        def label(answer: str, code: str) -> str:
            if answer in checklist.STEPS[:3]:
                return names.get(code, code)
            if answer == "documents_held":
                return documents.get(code, code)
            return str({**PURPOSES, **AGE_GROUPS}.get(code, code))

        for rule in rules[:-2]:
            for answers in partial:
                outcome = evaluate_outcome(rule, answers, label=label)
                got = page.evaluate(
                    "([rule, answers]) => window.sendaOfflineChecklist.evaluateRule(rule, answers)",
                    [rule, answers],
                )
                assert got == {
                    "fits": outcome.fits,
                    "reasons": outcome.reasons,
                    "matched": outcome.matched,
                }, (rule, answers)


def walk_offline(tab: Any, language: str, server: str) -> None:
    """Answer the six screens of the offline checklist as a person would."""
    with translation.override(language):
        honduras = str(Country.objects.get(code="HN").tr("name"))
        guatemala = str(Country.objects.get(code="GT").tr("name"))
        mexico = str(Country.objects.get(code="MX").tr("name"))
        passport = str(Document.objects.get(slug="passport").tr("name"))
        questions = {name: str(text) for name, text in checklist.QUESTIONS.items()}
        protection = str(PURPOSES["protection"]).capitalize()
        age = str(AGE_GROUPS["25_59"]).capitalize()
        next_label = translation.gettext("Next")
        result_label = translation.gettext("See my result")
    tab.get_by_label(questions["nationality"]).select_option(label=honduras)
    tab.get_by_role("button", name=next_label).click()
    tab.get_by_label(questions["current_country"]).select_option(label=guatemala)
    tab.get_by_role("button", name=next_label).click()
    tab.get_by_label(mexico, exact=True).check()
    tab.get_by_role("button", name=next_label).click()
    tab.get_by_label(protection).check()
    tab.get_by_role("button", name=next_label).click()
    tab.get_by_label(age).check()
    tab.get_by_role("button", name=next_label).click()
    tab.get_by_label(passport).check()
    tab.get_by_role("button", name=result_label).click()


@pytest.mark.parametrize(
    ("language", "prefix", "locale"), [("es", "", "es-MX"), ("en", "/en", "en-US")]
)
def test_the_six_screens_work_offline_after_one_visit(
    live_server: Any, browser: Any, guides_world: None, language: str, prefix: str, locale: str
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale=locale)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        # given one visit of the checklist's first screen with a connection
        tab.goto(live_server.url + prefix + "/guides/checklist/")
        tab.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        shell = prefix + "/guides/checklist/offline/"
        assert tab.evaluate("(url) => caches.match(url).then((hit) => !!hit)", shell)
        # when the connection drops and the person answers (a combination never opened online)
        context.set_offline(True)
        walk_offline(tab, language, live_server.url)

        # then the result is the server's, computed on the phone
        assert tab.locator("#offline-checklist-data").count() == 1
        search = answers_query("HN", "GT", "MX", "protection", "25_59", ["passport"])
        assert "nationality=HN" in tab.url and "documents_held=passport" in tab.url
        with translation.override(language):
            expected = checklist.build_result(checklist.parse(QueryDict(search))[0])
            title = translation.gettext("Your checklist")
            fitting = [str(fit.channel.tr("name")) for fit in expected.fitting]
            documents = [str(item.document.tr("name")) for item in expected.documents]
        assert tab.get_by_role("heading", level=1).inner_text() == title
        assert fitting and documents
        cards = tab.locator("section.card h3")
        assert cards.all_inner_texts() == fitting
        gathered = tab.locator("ul.gather li strong").all_inner_texts()
        assert [text.lstrip("☐☑ ").strip() for text in gathered] == documents
        assert tab.locator("aside.not-advice").count() == 1
        assert tab.locator("ul.list li").count() >= 1  # nearest information points
    finally:
        context.close()


def test_the_offline_checklist_is_accessible_and_small(
    live_server: Any, browser: Any, guides_world: None
) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="en-US")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    sizes: dict[str, int] = {}

    def weigh(response: Any) -> None:
        if response.request.resource_type in ("document", "script", "stylesheet"):
            sizes[response.url] = len(gzip.compress(response.body(), 6))

    tab.on("response", weigh)
    answered = "nationality=GT&current_country=GT&destination=MX&purpose=work&age_group=18_24"
    try:
        for search in [
            "",  # the first question (a long list: a select)
            f"?{answered}&documents_held=nonsense&documents_done=1",  # ticks, and an error
            f"?{answered}&documents_held=national-id&documents_done=1",  # the result
        ]:
            sizes.clear()
            tab.goto(live_server.url + "/en/guides/checklist/offline/" + search)
            tab.wait_for_function("() => window.sendaOfflineChecklist !== undefined")
            if tab.locator("details summary").count():
                tab.locator("details summary").click()  # what they cannot use, open too
            assert tab.locator("h1").count() == 1
            assert tab.evaluate("document.documentElement.scrollWidth") <= 320
            # Fetched once by the service worker, not on a person's first visit; still small.
            assert sum(sizes.values()) <= SHELL_BUDGET, sizes
            results = Axe().run(
                tab,
                options={
                    "runOnly": {"type": "tag", "values": WCAG_TAGS},
                    "resultTypes": ["violations"],
                },
            )
            assert results.violations_count == 0, (search, results.generate_report())
    finally:
        context.close()
