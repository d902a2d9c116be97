"""Demo guides: regular migration channels of the region, an explainer per country and the
common documents with where each nationality gets them.

Everything here is EXAMPLE content: plausible, citing the official source where one exists,
and never presented as legal advice (each channel and explainer is flagged ``is_example`` and
says so in its text).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from senda.core.demo.world import DemoWorld, Text
from senda.directory.models import ServiceAtLocation
from senda.directory.queries import services_public
from senda.directory.search import ServiceFilters, filter_services
from senda.pathways import actions
from senda.pathways.models import Channel, Document, Explainer

NOTE: Text = (
    "Contenido de ejemplo — no es asesoría legal.",
    "Example content — not legal advice.",
)
COUNTRIES = ("MX", "GT", "HN", "SV", "NI", "PA", "CR", "US")
CA4 = ["GT", "HN", "SV", "NI"]


@dataclass(frozen=True)
class DocumentSpec:
    slug: str
    name: Text
    description: Text
    is_identity: bool
    # Issuing country -> (where (es, en), usual cost, usual time, source URL)
    sources: dict[str, tuple[Text, str, Text, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelSpec:
    country: str
    slug: str
    name: Text
    summary: Text
    who: Text
    steps: tuple[Text, ...]
    fees: Text
    time: Text
    source_url: str
    source_name: str
    rule: dict[str, Any]
    documents: tuple[str, ...]
    verified_days_ago: int = 20


def _days(es: str, en: str) -> Text:
    return (es, en)


DOCUMENTS: tuple[DocumentSpec, ...] = (
    DocumentSpec(
        "passport",
        ("Pasaporte", "Passport"),
        (
            "Documento de viaje que prueba tu identidad y nacionalidad fuera de tu país.",
            "Travel document that proves your identity and nationality abroad.",
        ),
        True,
        {
            "GT": (
                ("Instituto Guatemalteco de Migración (IGM)", "Guatemalan Migration Institute"),
                "Q 250",
                _days("1 a 10 días", "1 to 10 days"),
                "https://igm.gob.gt/",
            ),
            "HN": (
                ("Instituto Nacional de Migración (INM)", "National Migration Institute (INM)"),
                "L 1,300",
                _days("1 a 15 días", "1 to 15 days"),
                "https://inm.gob.hn/",
            ),
            "SV": (
                (
                    "Dirección General de Migración y Extranjería (DGME)",
                    "Directorate General of Migration (DGME)",
                ),
                "USD 25",
                _days("1 a 5 días", "1 to 5 days"),
                "https://www.migracion.gob.sv/",
            ),
            "NI": (
                (
                    "Dirección General de Migración y Extranjería",
                    "Directorate General of Migration",
                ),
                "USD 20",
                _days("hasta 30 días", "up to 30 days"),
                "",
            ),
            "MX": (
                ("Secretaría de Relaciones Exteriores (SRE)", "Ministry of Foreign Affairs (SRE)"),
                "MXN 1,500",
                _days("el mismo día de la cita", "on the day of the appointment"),
                "https://www.gob.mx/sre",
            ),
        },
    ),
    DocumentSpec(
        "national-id",
        ("Documento de identidad nacional", "National identity card"),
        (
            "DPI en Guatemala, DNI en Honduras, DUI en El Salvador, cédula en Nicaragua.",
            "DPI in Guatemala, DNI in Honduras, DUI in El Salvador, cédula in Nicaragua.",
        ),
        True,
        {
            "GT": (
                ("RENAP (Registro Nacional de las Personas)", "RENAP (National Registry)"),
                "Q 85",
                _days("hasta 30 días", "up to 30 days"),
                "https://www.renap.gob.gt/",
            ),
            "HN": (
                ("RNP (Registro Nacional de las Personas)", "RNP (National Registry)"),
                "Gratis la primera vez",
                _days("hasta 30 días", "up to 30 days"),
                "https://www.rnp.hn/",
            ),
            "SV": (
                ("RNPN (Registro Nacional de las Personas Naturales)", "RNPN (National Registry)"),
                "USD 10",
                _days("el mismo día", "the same day"),
                "https://www.rnpn.gob.sv/",
            ),
            "NI": (
                ("Consejo Supremo Electoral (cedulación)", "Supreme Electoral Council"),
                "Gratis",
                _days("hasta 60 días", "up to 60 days"),
                "",
            ),
        },
    ),
    DocumentSpec(
        "birth-certificate",
        ("Partida o certificado de nacimiento", "Birth certificate"),
        (
            "Prueba dónde y cuándo naciste y quiénes son tus padres.",
            "Proves where and when you were born and who your parents are.",
        ),
        True,
        {
            "GT": (("RENAP", "RENAP"), "Q 15", _days("el mismo día", "the same day"), ""),
            "HN": (("RNP", "RNP"), "L 50", _days("el mismo día", "the same day"), ""),
            "SV": (
                (
                    "Registro del Estado Familiar de tu alcaldía",
                    "Civil registry of your municipality",
                ),
                "USD 3",
                _days("el mismo día", "the same day"),
                "",
            ),
            "NI": (
                (
                    "Registro del Estado Civil de las Personas de tu municipio",
                    "Civil registry of your municipality",
                ),
                "C$ 50",
                _days("1 a 3 días", "1 to 3 days"),
                "",
            ),
            "MX": (
                ("Registro Civil", "Civil Registry"),
                "MXN 100",
                _days("en línea", "online"),
                "",
            ),
        },
    ),
    DocumentSpec(
        "criminal-record",
        ("Constancia de antecedentes penales", "Criminal record certificate"),
        (
            "Certifica si tienes o no antecedentes penales.",
            "Certifies whether you have a criminal record.",
        ),
        False,
        {
            "GT": (
                ("Organismo Judicial (Unidad de Antecedentes Penales)", "Judiciary"),
                "Q 30",
                _days("el mismo día", "the same day"),
                "",
            ),
            "HN": (
                ("Poder Judicial", "Judiciary"),
                "L 200",
                _days("1 a 3 días", "1 to 3 days"),
                "",
            ),
            "SV": (
                ("Ministerio de Justicia y Seguridad Pública", "Ministry of Justice"),
                "USD 3",
                _days("el mismo día", "the same day"),
                "",
            ),
            "NI": (
                ("Policía Nacional (récord de policía)", "National Police"),
                "C$ 100",
                _days("1 a 5 días", "1 to 5 days"),
                "",
            ),
        },
    ),
    DocumentSpec(
        "job-offer",
        ("Oferta de empleo", "Job offer"),
        (
            "Carta de un empleador registrado con el puesto, el salario y la duración.",
            "Letter from a registered employer with the job, the pay and the duration.",
        ),
        False,
    ),
    DocumentSpec(
        "photo",
        ("Fotografía reciente", "Recent photograph"),
        ("Fotografía tamaño pasaporte, de frente.", "Passport-size photograph, facing front."),
        False,
    ),
)

CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec(
        "MX",
        "tarjeta-visitante-regional",
        ("Tarjeta de Visitante Regional", "Regional Visitor Card"),
        (
            "Permite a personas de Guatemala y Belice visitar los estados del sur de México por"
            " unos días, sin permiso para trabajar.",
            "Lets people from Guatemala and Belize visit Mexico's southern states for a few days,"
            " without permission to work.",
        ),
        (
            "Nacionales de Guatemala o Belice que van de visita.",
            "Nationals of Guatemala or Belize going on a visit.",
        ),
        (
            ("Reúne tu pasaporte o documento de identidad.", "Gather your passport or ID card."),
            (
                "Preséntate en un punto de internación del INM en la frontera sur.",
                "Go to an INM entry point on the southern border.",
            ),
            ("Recibe tu tarjeta en el momento.", "Receive your card on the spot."),
        ),
        ("Sin costo (ejemplo).", "Free of charge (example)."),
        ("El mismo día.", "The same day."),
        "https://www.gob.mx/inm",
        "Instituto Nacional de Migración (INM)",
        {
            "all": [
                {"answer": "nationality", "in": ["GT", "BZ"]},
                {"answer": "purpose", "in": ["visit"]},
            ]
        },
        ("national-id", "photo"),
    ),
    ChannelSpec(
        "MX",
        "visitante-trabajador-fronterizo",
        ("Tarjeta de Visitante Trabajador Fronterizo", "Border Worker Visitor Card"),
        (
            "Permite a personas de Guatemala y Belice trabajar con una oferta de empleo en los"
            " estados de la frontera sur de México.",
            "Lets people from Guatemala and Belize work with a job offer in Mexico's southern"
            " border states.",
        ),
        (
            "Personas de Guatemala o Belice mayores de edad con una oferta de empleo.",
            "Adults from Guatemala or Belize with a job offer.",
        ),
        (
            (
                "Consigue una oferta de empleo de un empleador registrado ante el INM.",
                "Get a job offer from an employer registered with INM.",
            ),
            ("Reúne los documentos de la lista.", "Gather the documents on the list."),
            (
                "Solicita la tarjeta en una oficina del INM en la frontera sur.",
                "Apply for the card at an INM office on the southern border.",
            ),
        ),
        ("Pago de derechos según la tarifa vigente.", "A fee according to the current tariff."),
        ("Unos días.", "A few days."),
        "https://www.gob.mx/inm",
        "Instituto Nacional de Migración (INM)",
        {
            "all": [
                {"answer": "nationality", "in": ["GT", "BZ"]},
                {"answer": "purpose", "in": ["work"]},
                {"answer": "age_group", "not_in": ["under_18"]},
            ]
        },
        ("passport", "job-offer", "photo"),
    ),
    ChannelSpec(
        "MX",
        "visitante-razones-humanitarias",
        ("Visitante por razones humanitarias", "Visitor for humanitarian reasons"),
        (
            "Un permiso para quedarte en México si fuiste víctima o testigo de un delito, si eres"
            " niña, niño o adolescente no acompañado, o si pediste refugio.",
            "A permit to stay in Mexico if you were a victim or witness of a crime, an"
            " unaccompanied child, or if you applied for refugee status.",
        ),
        (
            "Personas en México en alguna de las situaciones humanitarias previstas por la ley.",
            "People in Mexico in one of the humanitarian situations set out in the law.",
        ),
        (
            (
                "Acude a una oficina del INM o a un punto de información.",
                "Go to an INM office or an information point.",
            ),
            ("Explica tu situación y entrega tus documentos.", "Explain your situation."),
        ),
        ("Sin costo.", "Free of charge."),
        ("Variable.", "Varies."),
        "https://www.gob.mx/inm",
        "Instituto Nacional de Migración (INM)",
        {
            "all": [
                {"answer": "current_country", "in": ["MX"]},
                {"answer": "purpose", "in": ["protection"]},
            ]
        },
        ("photo",),
    ),
    ChannelSpec(
        "MX",
        "refugio-comar",
        ("Reconocimiento de la condición de refugiado (COMAR)", "Refugee status (COMAR)"),
        (
            "Si no puedes volver a tu país porque tu vida, seguridad o libertad corren peligro,"
            " puedes pedir refugio en México ante la COMAR.",
            "If you cannot go back to your country because your life, safety or freedom are in"
            " danger, you can ask for refugee status in Mexico with COMAR.",
        ),
        (
            "Personas extranjeras en México que temen volver a su país.",
            "Foreign nationals in Mexico who fear going back to their country.",
        ),
        (
            (
                "Pide refugio en la COMAR dentro de los 30 días hábiles después de entrar.",
                "Apply to COMAR within 30 working days after you enter.",
            ),
            (
                "Asiste a tu entrevista y firma cada semana si te lo piden.",
                "Attend your interview and sign in every week if asked.",
            ),
            ("Espera la resolución.", "Wait for the decision."),
        ),
        ("Sin costo.", "Free of charge."),
        ("Varios meses.", "Several months."),
        "https://www.gob.mx/comar",
        "Comisión Mexicana de Ayuda a Refugiados (COMAR)",
        {
            "all": [
                {"answer": "purpose", "in": ["protection"]},
                {"not": {"answer": "nationality", "in": ["MX"]}},
            ]
        },
        ("national-id", "birth-certificate"),
    ),
    ChannelSpec(
        "US",
        "h-2a",
        ("Visa H-2A para trabajo agrícola temporal", "H-2A temporary agricultural work visa"),
        (
            "Un empleador de Estados Unidos contrata trabajadores agrícolas por una temporada;"
            " el empleador inicia el trámite.",
            "A US employer hires farm workers for a season; the employer starts the process.",
        ),
        (
            "Personas mayores de edad de países participantes con una oferta de un empleador"
            " aprobado.",
            "Adults from participating countries with an offer from an approved employer.",
        ),
        (
            (
                "Desconfía de quien te cobre por un puesto: la contratación es gratuita.",
                "Distrust anyone who charges you for a job: recruitment is free.",
            ),
            (
                "El empleador presenta la petición; tú pides la visa en el consulado.",
                "The employer files the petition; you apply for the visa at the consulate.",
            ),
        ),
        (
            "El empleador paga la mayoría de los costos.",
            "The employer pays most of the costs.",
        ),
        ("Semanas o meses.", "Weeks or months."),
        "https://www.uscis.gov/working-in-the-united-states/temporary-workers/h-2a-temporary-agricultural-workers",
        "U.S. Citizenship and Immigration Services (USCIS)",
        {
            "all": [
                {"answer": "purpose", "in": ["work"]},
                {"answer": "age_group", "not_in": ["under_18"]},
                {"answer": "nationality", "in": ["MX", "GT", "HN", "SV", "NI", "PA", "CR"]},
            ]
        },
        ("passport", "job-offer"),
    ),
    ChannelSpec(
        "US",
        "h-2b",
        ("Visa H-2B para trabajo temporal no agrícola", "H-2B temporary non-agricultural visa"),
        (
            "Trabajo temporal fuera del campo (hoteles, jardinería, construcción) con un"
            " empleador aprobado.",
            "Temporary non-farm work (hotels, landscaping, construction) with an approved"
            " employer.",
        ),
        (
            "Personas mayores de edad de países participantes con una oferta de empleo.",
            "Adults from participating countries with a job offer.",
        ),
        (
            (
                "El empleador obtiene la certificación laboral y presenta la petición.",
                "The employer gets labour certification and files the petition.",
            ),
            ("Pides la visa en el consulado.", "You apply for the visa at the consulate."),
        ),
        ("Tarifa consular de la visa.", "The consular visa fee."),
        ("Meses.", "Months."),
        "https://www.uscis.gov/working-in-the-united-states/temporary-workers/h-2b-temporary-non-agricultural-workers",
        "U.S. Citizenship and Immigration Services (USCIS)",
        {
            "all": [
                {"answer": "purpose", "in": ["work"]},
                {"answer": "age_group", "not_in": ["under_18"]},
            ]
        },
        ("passport", "job-offer", "criminal-record"),
        verified_days_ago=120,
    ),
    ChannelSpec(
        "US",
        "refugio-asilo",
        ("Refugio y asilo", "Refugee status and asylum"),
        (
            "Protección para quien sufre persecución. El refugio se pide desde fuera de Estados"
            " Unidos con una referencia; el asilo, estando en el país.",
            "Protection for people facing persecution. Refugee status is requested from outside"
            " the US with a referral; asylum from inside the country.",
        ),
        ("Personas que temen persecución.", "People who fear persecution."),
        (
            (
                "Pide orientación a un punto de información antes de decidir.",
                "Ask an information point for guidance before you decide.",
            ),
        ),
        ("Sin costo para pedir asilo.", "No fee to apply for asylum."),
        ("Meses o años.", "Months or years."),
        "https://www.uscis.gov/humanitarian/refugees-and-asylum",
        "U.S. Citizenship and Immigration Services (USCIS)",
        {"all": [{"answer": "purpose", "in": ["protection"]}]},
        ("passport", "birth-certificate"),
    ),
    ChannelSpec(
        "CR",
        "refugio",
        ("Condición de refugiado en Costa Rica", "Refugee status in Costa Rica"),
        (
            "Costa Rica reconoce como refugiadas a personas que temen volver a su país.",
            "Costa Rica recognises as refugees people who fear going back to their country.",
        ),
        ("Personas extranjeras en Costa Rica.", "Foreign nationals in Costa Rica."),
        (
            (
                "Pide cita en la Unidad de Refugio de la DGME.",
                "Book an appointment with the DGME Refugee Unit.",
            ),
            ("Asiste a la entrevista.", "Attend the interview."),
        ),
        ("Sin costo.", "Free of charge."),
        ("Meses.", "Months."),
        "https://www.migracion.go.cr/",
        "Dirección General de Migración y Extranjería (DGME)",
        {
            "all": [
                {"answer": "purpose", "in": ["protection"]},
                {"answer": "nationality", "not_in": ["CR"]},
            ]
        },
        ("passport", "national-id"),
    ),
    ChannelSpec(
        "CR",
        "trabajador-temporal",
        ("Trabajador temporal agrícola", "Temporary agricultural worker"),
        (
            "Permiso para trabajar durante una cosecha con un empleador inscrito.",
            "A permit to work during a harvest with a registered employer.",
        ),
        ("Personas mayores de edad con oferta de empleo.", "Adults with a job offer."),
        (("El empleador inicia el trámite.", "The employer starts the process."),),
        ("Según la tarifa vigente.", "According to the current tariff."),
        ("Semanas.", "Weeks."),
        "https://www.migracion.go.cr/",
        "Dirección General de Migración y Extranjería (DGME)",
        {
            "all": [
                {"answer": "purpose", "in": ["work"]},
                {"answer": "age_group", "not_in": ["under_18"]},
            ]
        },
        ("passport", "job-offer"),
    ),
    ChannelSpec(
        "PA",
        "refugio",
        ("Condición de refugiado en Panamá", "Refugee status in Panama"),
        (
            "Panamá puede reconocer como refugiadas a personas perseguidas en su país.",
            "Panama can recognise people persecuted in their country as refugees.",
        ),
        ("Personas extranjeras en Panamá.", "Foreign nationals in Panama."),
        (("Presenta tu solicitud ante la ONPAR.", "File your application with ONPAR."),),
        ("Sin costo.", "Free of charge."),
        ("Meses.", "Months."),
        "https://www.migracion.gob.pa/",
        "Oficina Nacional para la Atención de Refugiados (ONPAR)",
        {"all": [{"answer": "purpose", "in": ["protection"]}]},
        ("passport",),
    ),
    ChannelSpec(
        "PA",
        "visitante",
        ("Entrada como visitante", "Entry as a visitor"),
        (
            "Visitas cortas sin permiso para trabajar.",
            "Short visits without permission to work.",
        ),
        (
            "Personas con pasaporte vigente y, según su nacionalidad, visa.",
            "People with a valid passport and, depending on nationality, a visa.",
        ),
        (("Revisa si tu nacionalidad necesita visa.", "Check whether you need a visa."),),
        ("Depende de la nacionalidad.", "Depends on nationality."),
        ("En la frontera.", "At the border."),
        "https://www.migracion.gob.pa/",
        "Servicio Nacional de Migración",
        {"all": [{"answer": "purpose", "in": ["visit"]}]},
        ("passport",),
    ),
)

# The CA-4 agreement: nationals of the four countries move among them with their ID card.
for _code, _country_es, _country_en in (
    ("GT", "Guatemala", "Guatemala"),
    ("HN", "Honduras", "Honduras"),
    ("SV", "El Salvador", "El Salvador"),
    ("NI", "Nicaragua", "Nicaragua"),
):
    CHANNELS += (
        ChannelSpec(
            _code,
            "libre-movilidad-ca4",
            (
                f"Libre movilidad CA-4 hacia {_country_es}",
                f"CA-4 free movement to {_country_en}",
            ),
            (
                f"Si eres de Guatemala, Honduras, El Salvador o Nicaragua puedes entrar a"
                f" {_country_es} con tu documento de identidad y quedarte hasta 90 días, sin"
                " permiso para trabajar.",
                f"If you are from Guatemala, Honduras, El Salvador or Nicaragua you can enter"
                f" {_country_en} with your ID card and stay up to 90 days, without permission"
                " to work.",
            ),
            ("Nacionales de los países CA-4.", "Nationals of the CA-4 countries."),
            (
                (
                    "Lleva tu documento de identidad vigente.",
                    "Carry your valid identity card.",
                ),
                (
                    "Entra por un puesto fronterizo oficial.",
                    "Enter through an official border post.",
                ),
            ),
            ("Sin costo.", "Free of charge."),
            ("En la frontera.", "At the border."),
            "",
            "Convenio Centroamericano de Libre Movilidad (CA-4)",
            {
                "all": [
                    {"answer": "nationality", "in": [c for c in CA4 if c != _code]},
                    {"answer": "purpose", "in": ["visit", "family", "study"]},
                ]
            },
            ("national-id",),
        ),
    )

COUNTRY_NAMES: dict[str, Text] = {
    "MX": ("México", "Mexico"),
    "GT": ("Guatemala", "Guatemala"),
    "HN": ("Honduras", "Honduras"),
    "SV": ("El Salvador", "El Salvador"),
    "NI": ("Nicaragua", "Nicaragua"),
    "PA": ("Panamá", "Panama"),
    "CR": ("Costa Rica", "Costa Rica"),
    "US": ("Estados Unidos", "the United States"),
}


def _explainer_texts(code: str) -> dict[str, Text]:
    es, en = COUNTRY_NAMES[code]
    return {
        "title": (
            f"¿Regular o irregular? Migrar a {es}",
            f"Regular or irregular? Migrating to {en}",
        ),
        "regular_text": (
            f"Migrar de forma regular a {es} significa entrar por un puesto oficial, con los"
            " documentos y el permiso que corresponden a lo que vas a hacer (visitar, estudiar,"
            " trabajar o pedir protección). Así tienes derechos, puedes pedir ayuda a las"
            f" autoridades y volver a entrar en el futuro. {NOTE[0]}",
            f"Migrating regularly to {en} means entering through an official border post, with"
            " the documents and permit that match what you will do (visit, study, work or ask"
            " for protection). That way you have rights, can ask the authorities for help and"
            f" can come back in the future. {NOTE[1]}",
        ),
        "irregular_text": (
            "Migrar de forma irregular es entrar sin pasar por un puesto oficial, quedarte más"
            " tiempo del permitido o trabajar sin permiso. Puede parecer más rápido, pero te deja"
            " sin protección y puede impedir que regularices tu situación después.",
            "Migrating irregularly means entering without passing an official post, staying"
            " longer than allowed or working without a permit. It can look faster, but it"
            " leaves you unprotected and can stop you from regularising later.",
        ),
        "risks_text": (
            "En las rutas irregulares hay redes de trata de personas que engañan con falsas"
            " ofertas de trabajo, grupos que secuestran y extorsionan a quienes viajan y a sus"
            " familias, y la posibilidad de ser detenido y deportado. Nadie puede venderte un"
            " permiso: si alguien te cobra por «arreglar papeles», desconfía y pide ayuda en un"
            " punto de información.",
            "On irregular routes there are trafficking networks that deceive with fake job"
            " offers, groups that kidnap and extort travellers and their families, and the risk"
            " of being detained and deported. Nobody can sell you a permit: if someone charges"
            " you to 'fix papers', be wary and ask an information point for help.",
        ),
    }


def load(world: DemoWorld) -> None:
    """Documents, channels and explainers, each published once and verified (idempotent)."""
    editor = world.user("editor")
    owner = world.organisation("coord")
    if Channel.objects.filter(is_example=True).exists():
        return  # loaded by an earlier run: a second run changes nothing
    existing_documents = set(Document.objects.values_list("slug", flat=True))
    for spec in DOCUMENTS:
        if spec.slug in existing_documents:
            continue  # loaded by an earlier run: a second run changes nothing
        document = actions.document_save(
            actor=editor,
            slug=spec.slug,
            name=spec.name[0],
            description=spec.description[0],
            is_identity=spec.is_identity,
            is_example=True,
            translations={"en": {"name": spec.name[1], "description": spec.description[1]}},
        )
        for country, (where, cost, time, url) in spec.sources.items():
            actions.document_set_source(
                actor=editor,
                document=document,
                country_code=country,
                where=where[0],
                usual_cost=cost,
                usual_time=time[0],
                source_url=url,
                translations={"en": {"where": where[1], "usual_time": time[1]}},
            )
    for channel_spec in CHANNELS:
        if Channel.objects.filter(country_id=channel_spec.country, slug=channel_spec.slug).exists():
            continue
        channel = actions.channel_create(
            actor=editor,
            owner=owner,
            country_code=channel_spec.country,
            slug=channel_spec.slug,
            fields={
                "name": channel_spec.name[0],
                "summary": f"{channel_spec.summary[0]} {NOTE[0]}",
                "who_can_apply": channel_spec.who[0],
                "steps": [step[0] for step in channel_spec.steps],
                "fees": channel_spec.fees[0],
                "processing_time": channel_spec.time[0],
                "source_url": channel_spec.source_url,
                "source_name": channel_spec.source_name,
                "eligibility": channel_spec.rule,
                "is_example": True,
            },
            translations={
                "en": {
                    "name": channel_spec.name[1],
                    "summary": f"{channel_spec.summary[1]} {NOTE[1]}",
                    "who_can_apply": channel_spec.who[1],
                    "steps": [step[1] for step in channel_spec.steps],
                    "fees": channel_spec.fees[1],
                    "processing_time": channel_spec.time[1],
                }
            },
        )
        actions.channel_set_documents(
            actor=editor,
            channel=channel,
            documents=[actions.DocumentLink(slug=slug) for slug in channel_spec.documents],
        )
        _link_information_points(editor, channel)
        actions.guide_mark_verified(
            actor=editor,
            guide=channel,
            verified_on=world.today - datetime.timedelta(days=channel_spec.verified_days_ago),
        )
        actions.guide_publish(
            actor=editor, guide=channel, change_note="Primera versión (contenido de ejemplo)."
        )
    for code in COUNTRIES:
        if Explainer.objects.filter(country_id=code).exists():
            continue
        texts = _explainer_texts(code)
        explainer = actions.explainer_create(
            actor=editor,
            owner=owner,
            country_code=code,
            fields={
                **{name: text[0] for name, text in texts.items()},
                "source_name": "Senda (contenido de ejemplo)",
                "is_example": True,
            },
            translations={"en": {name: text[1] for name, text in texts.items()}},
        )
        actions.guide_mark_verified(
            actor=editor, guide=explainer, verified_on=world.today - datetime.timedelta(days=10)
        )
        actions.guide_publish(
            actor=editor, guide=explainer, change_note="Primera versión (contenido de ejemplo)."
        )
    world.loaded.append("guides")  # the summary line is printed after the list of domains


def _link_information_points(editor: Any, channel: Channel) -> None:
    """Where to apply: the demo directory's information points in the destination country."""
    points = list(
        filter_services(
            services_public(),
            ServiceFilters(
                category_codes=("migration.information",), country_code=channel.country_id
            ),
        ).values_list("pk", flat=True)
    )
    if not points:
        return
    places = sorted(
        set(
            ServiceAtLocation.objects.filter(
                service_id__in=points, location__country_id=channel.country_id
            ).values_list("location_id", flat=True)
        ),
        key=str,
    )
    actions.channel_set_where_to_apply(
        actor=editor, channel=channel, service_ids=points, location_ids=places
    )


def summary() -> str:
    channels = Channel.objects.filter(is_example=True).count()
    explainers = Explainer.objects.filter(is_example=True).count()
    documents = Document.objects.filter(is_example=True).count()
    return (
        f"Guides: {channels} example channels, {explainers} explainers, {documents} documents"
        " (example content, not legal advice)"
    )


def reset() -> None:
    """Delete the example guides (their versions go with them) and example documents."""
    Channel.objects.filter(is_example=True).delete()
    Explainer.objects.filter(is_example=True).delete()
    Document.objects.filter(is_example=True, channels__isnull=True).delete()
