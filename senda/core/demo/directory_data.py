"""The demo directory's content: information points, the Panama health centres and local
opportunities, in Spanish with English translations. Everything here is fictional example
content (names, addresses, phones, hours, costs); only the official web sites cited as sources
are real. ``directory.py`` turns these specs into rows through the directory actions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from senda.core.demo.world import Text
from senda.directory.models import PublicationStatus

WEEKDAYS = "MO,TU,WE,TH,FR"


@dataclass(frozen=True)
class Hours:
    days: str
    opens: str
    closes: str


@dataclass(frozen=True)
class Cost:
    option: Text
    amount: str
    currency: str
    amount_description: Text | None = None


@dataclass(frozen=True)
class ServiceSpec:
    key: str
    categories: tuple[str, ...]
    name: Text
    description: Text
    eligibility: Text
    application: Text
    fees: Text
    costs: tuple[Cost, ...]
    hours: tuple[Hours, ...]
    documents: tuple[Text, ...] = ()
    official_url: str = ""
    minimum_age: int | None = None
    maximum_age: int | None = None
    status: str = PublicationStatus.PUBLISHED
    # Last verified more than 180 days ago: shows on the editors' stale list.
    stale: bool = False


@dataclass(frozen=True)
class ProviderSpec:
    key: str
    tenant: str
    name: Text
    description: Text
    website: str = ""


@dataclass(frozen=True)
class PlaceSpec:
    """A location of a provider and the services offered there."""

    key: str
    tenant: str
    provider: str
    area: str
    name: Text
    description: Text
    transportation: Text
    address: str
    city: str
    languages: tuple[str, ...]
    services: tuple[ServiceSpec, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CountryFacts:
    currency: str
    calling_code: str
    # The official migration authority's web site: the source to check the real facts.
    migration_url: str


COUNTRIES: dict[str, CountryFacts] = {
    "MX": CountryFacts("MXN", "+52", "https://www.gob.mx/inm"),
    "GT": CountryFacts("GTQ", "+502", "https://igm.gob.gt"),
    "HN": CountryFacts("HNL", "+504", "https://inm.gob.hn"),
    "SV": CountryFacts("USD", "+503", "https://www.migracion.gob.sv"),
    "NI": CountryFacts("NIO", "+505", "https://www.migob.gob.ni"),
    "PA": CountryFacts("USD", "+507", "https://www.migracion.gob.pa"),
    "CR": CountryFacts("CRC", "+506", "https://www.migracion.go.cr"),
}
PANAMA_HEALTH_URL = "https://www.minsa.gob.pa"

# Documents that come up again and again.
DOC_ID: Text = ("Documento de identidad (cualquier país)", "Identity document (any country)")
DOC_ID_IF_ANY: Text = (
    "Documento de identidad (cualquier país), si lo tiene",
    "Identity document (any country), if you have one",
)
DOC_BIRTH: Text = (
    "Partida o certificado de nacimiento, si la tiene",
    "Birth certificate, if you have one",
)
DOC_VACCINATION_CARD: Text = (
    "Carné de vacunación, si lo tiene",
    "Vaccination card, if you have one",
)
DOC_PRENATAL_CARD: Text = (
    "Carné de control prenatal, si lo tiene",
    "Prenatal care card, if you have one",
)
DOC_CV: Text = ("Hoja de vida (te ayudamos a hacerla)", "CV (we help you write it)")
DOC_PLAN: Text = (
    "Una idea de negocio por escrito (te ayudamos a armarla)",
    "A written business idea (we help you shape it)",
)

FREE: Text = ("Gratis.", "Free of charge.")
OFFICE_HOURS = (Hours(WEEKDAYS, "08:00", "16:00"),)
OFFICE_AND_SATURDAY = (Hours(WEEKDAYS, "08:00", "16:00"), Hours("SA", "09:00", "13:00"))


def free(currency: str) -> tuple[Cost, ...]:
    return (Cost(("Gratis", "Free"), "0", currency),)


# Information points ---------------------------------------------------------------------------


def migration_information(key: str, country: str, city: str) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/information",
        categories=("migration.information",),
        name=("Orientación sobre migración regular", "Regular migration guidance"),
        description=(
            f"En una conversación confidencial te explicamos qué caminos regulares existen para "
            f"estudiar, trabajar o reunirte con tu familia en otro país, qué requisitos piden y "
            f"cómo reconocer engaños de coyotes y falsos gestores. Atendemos en {city} y por "
            f"WhatsApp.",
            f"In a confidential conversation we explain which regular routes exist to study, "
            f"work or join your family in another country, what they require and how to spot "
            f"smugglers' and fake agents' scams. We attend in {city} and on WhatsApp.",
        ),
        eligibility=(
            "Cualquier persona, de cualquier nacionalidad y con o sin papeles. No necesitas "
            "documentos para recibir orientación.",
            "Anyone, of any nationality, with or without papers. You need no documents to get "
            "guidance.",
        ),
        application=(
            "Ven sin cita en el horario de atención o escríbenos por WhatsApp.",
            "Walk in during opening hours or message us on WhatsApp.",
        ),
        fees=FREE,
        costs=free(facts.currency),
        hours=OFFICE_HOURS,
        official_url=facts.migration_url,
    )


def migration_documents(key: str, country: str, city: str) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/documents",
        categories=("migration.documents",),
        name=(
            "Apoyo con documentos de identidad y de viaje",
            "Help with identity and travel papers",
        ),
        description=(
            "Te ayudamos a saber qué papeles necesitas para tu trámite, a pedir tu pasaporte o "
            "partida de nacimiento y a reponer documentos perdidos o vencidos. Te acompañamos a "
            "llenar los formularios.",
            "We help you find out which papers your procedure needs, apply for your passport or "
            "birth certificate and replace lost or expired documents. We help you fill in the "
            "forms.",
        ),
        eligibility=(
            "Personas migrantes, retornadas y sus familias.",
            "Migrants, returnees and their families.",
        ),
        application=(
            "Pide una cita por teléfono o WhatsApp, o ven temprano: atendemos por orden de "
            "llegada.",
            "Book by phone or WhatsApp, or come early: first come, first served.",
        ),
        fees=(
            "La orientación es gratis. Las tasas oficiales del trámite las cobra la institución "
            "que emite el documento.",
            "The guidance is free. Official fees are charged by the institution that issues the "
            "document.",
        ),
        costs=free(facts.currency),
        hours=OFFICE_HOURS,
        documents=(DOC_ID_IF_ANY, DOC_BIRTH),
        official_url=facts.migration_url,
    )


def migration_asylum(key: str, country: str, city: str) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/asylum",
        categories=("migration.asylum", "legal"),
        name=("Información sobre asilo y refugio", "Information on asylum and refugee status"),
        description=(
            "Si no puedes volver a tu país porque corres peligro, te explicamos en privado qué es "
            "la condición de refugiado, cómo se pide, qué plazos hay y qué derechos tienes "
            "mientras esperas la respuesta.",
            "If you cannot go back to your country because you are in danger, we explain in "
            "private what refugee status is, how to apply, which deadlines apply and what rights "
            "you have while you wait for the decision.",
        ),
        eligibility=(
            "Personas que temen volver a su país. La conversación es confidencial.",
            "People who fear returning to their country. The conversation is confidential.",
        ),
        application=(
            "Ven sin cita o pide una llamada por WhatsApp.",
            "Walk in or ask for a call on WhatsApp.",
        ),
        fees=FREE,
        costs=free(facts.currency),
        hours=OFFICE_HOURS,
        documents=(
            (
                "Cualquier documento que tengas, aunque esté vencido (no es obligatorio)",
                "Any document you have, even if expired (not required)",
            ),
        ),
        official_url=facts.migration_url,
    )


def migration_visas(key: str, country: str, city: str) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/visas",
        categories=("migration.visas", "employment.rights"),
        name=(
            "Orientación sobre visas y permisos de trabajo",
            "Guidance on visas and work permits",
        ),
        description=(
            "Te contamos qué visas y permisos de trabajo temporal existen, cómo funcionan los "
            "programas de empleo temporal en el extranjero y cómo comprobar que una oferta de "
            "trabajo es real antes de pagar nada.",
            "We tell you which visas and temporary work permits exist, how temporary work "
            "programmes abroad work and how to check that a job offer is real before you pay "
            "anything.",
        ),
        eligibility=("Personas mayores de 18 años.", "People aged 18 or over."),
        application=(
            "Charlas en grupo los martes y jueves; orientación individual con cita.",
            "Group talks on Tuesdays and Thursdays; one-to-one guidance by appointment.",
        ),
        fees=FREE,
        costs=free(facts.currency),
        hours=OFFICE_HOURS,
        documents=(DOC_ID_IF_ANY,),
        official_url=facts.migration_url,
        minimum_age=18,
    )


def migration_return(key: str, country: str, city: str) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/return",
        categories=("migration.return",),
        name=("Apoyo al retorno y la reintegración", "Return and reintegration support"),
        description=(
            f"Si volviste o te devolvieron a tu país, te recibimos en {city}: orientación sobre "
            "tus papeles, apoyo psicosocial y contactos con programas de estudio, trabajo y "
            "emprendimiento.",
            f"If you came back or were returned to your country, we welcome you in {city}: "
            "guidance on your papers, psychosocial support and contacts with study, work and "
            "business programmes.",
        ),
        eligibility=(
            "Personas retornadas y sus familias.",
            "Returnees and their families.",
        ),
        application=("Ven sin cita.", "Walk in."),
        fees=FREE,
        costs=free(facts.currency),
        hours=OFFICE_HOURS,
        documents=(DOC_ID_IF_ANY,),
        official_url=facts.migration_url,
    )


def legal_aid(key: str, country: str, city: str) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/legal",
        categories=("legal", "employment.rights"),
        name=("Asesoría legal gratuita en temas migratorios", "Free legal advice on migration"),
        description=(
            "Una abogada o abogado revisa tu caso: estancia, permisos, multas, detención o "
            "derechos laborales, y te dice qué opciones tienes. No es un servicio de gestoría.",
            "A lawyer looks at your case: stay, permits, fines, detention or labour rights, and "
            "tells you what your options are. We do not process applications for you.",
        ),
        eligibility=(
            "Personas migrantes, solicitantes de refugio y sus familias.",
            "Migrants, asylum seekers and their families.",
        ),
        application=(
            "Pide cita por teléfono o WhatsApp; las urgencias se atienden el mismo día.",
            "Book by phone or WhatsApp; urgent cases are seen the same day.",
        ),
        fees=FREE,
        costs=free(facts.currency),
        hours=(Hours("MO,WE,FR", "09:00", "15:00"),),
        documents=(DOC_ID_IF_ANY,),
        official_url=facts.migration_url,
    )


def anti_trafficking(key: str, country: str, city: str) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/trafficking",
        categories=("protection.trafficking", "protection.exploitation"),
        name=(
            "Orientación confidencial sobre trata y explotación",
            "Confidential guidance on trafficking and exploitation",
        ),
        description=(
            "Si alguien te ofreció un viaje o un trabajo que no era lo que decían, te retiene los "
            "papeles o no te deja irte, te escuchamos y te conectamos con ayuda segura.",
            "If someone offered you a trip or a job that was not what they said, keeps your "
            "papers or will not let you leave, we listen and connect you with safe help.",
        ),
        eligibility=("Cualquier persona.", "Anyone."),
        application=(
            "Ven o escríbenos por WhatsApp; no pedimos tu nombre para empezar.",
            "Come in or message us on WhatsApp; we do not ask your name to begin.",
        ),
        fees=FREE,
        costs=free(facts.currency),
        hours=OFFICE_AND_SATURDAY,
        official_url=facts.migration_url,
    )


def school_talks(key: str, country: str, city: str) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/school-talks",
        categories=("migration.information", "education"),
        name=(
            "Charlas en colegios: viajar de forma regular",
            "School talks: travelling the regular way",
        ),
        description=(
            f"Charlas para adolescentes de {city} sobre la diferencia entre viajar de forma "
            "regular e irregular, los riesgos del camino y las oportunidades de estudio y trabajo "
            "en su comunidad.",
            f"Talks for teenagers in {city} on the difference between travelling regularly and "
            "irregularly, the risks of the journey and the study and work opportunities in their "
            "community.",
        ),
        eligibility=("Colegios y grupos juveniles.", "Schools and youth groups."),
        application=(
            "El colegio pide la charla por teléfono.",
            "The school requests the talk by phone.",
        ),
        fees=FREE,
        costs=free(facts.currency),
        hours=(Hours("TU,TH", "08:00", "12:00"),),
        status=PublicationStatus.PENDING_REVIEW,
    )


def asylum_accompaniment(key: str, country: str, city: str) -> ServiceSpec:
    spec = migration_asylum(key, country, city)
    return replace(
        spec,
        key=f"{key}/asylum-accompaniment",
        name=(
            "Acompañamiento a solicitantes de refugio",
            "Accompaniment for asylum seekers",
        ),
        description=(
            f"Acompañamos a las personas que piden refugio en {city} a sus citas y les ayudamos "
            "a preparar su relato. Borrador: falta confirmar el horario.",
            f"We go with people seeking asylum in {city} to their appointments and help them "
            "prepare their account. Draft: the hours still need confirming.",
        ),
        status=PublicationStatus.DRAFT,
    )


KINDS = {
    "information": migration_information,
    "documents": migration_documents,
    "asylum": migration_asylum,
    "visas": migration_visas,
    "return": migration_return,
    "legal": legal_aid,
    "trafficking": anti_trafficking,
    "school-talks": school_talks,
    "asylum-accompaniment": asylum_accompaniment,
}


@dataclass(frozen=True)
class InfoPoint:
    key: str
    tenant: str
    country: str
    area: str
    city: str
    address: str
    kinds: tuple[str, ...]
    languages: tuple[str, ...] = ("es",)
    saturday: bool = False
    stale_kinds: tuple[str, ...] = ()


INFO_POINTS: tuple[InfoPoint, ...] = (
    InfoPoint(
        "mx-tapachula",
        "mx",
        "MX",
        "MX07089",
        "Tapachula",
        "Calle Ejemplo 12, Centro",
        ("information", "documents", "asylum"),
        languages=("es", "en", "ht"),
        saturday=True,
    ),
    InfoPoint(
        "mx-tijuana",
        "mx",
        "MX",
        "MX02004",
        "Tijuana",
        "Avenida Ejemplo 345, Zona Centro",
        ("information", "visas", "documents"),
        languages=("es", "en"),
        stale_kinds=("visas",),
    ),
    InfoPoint(
        "mx-cdmx",
        "mx",
        "MX",
        "MX09015",
        "Ciudad de México",
        "Calle Ejemplo 78, colonia Centro, Cuauhtémoc",
        ("information", "legal", "asylum"),
    ),
    InfoPoint(
        "gt-guatemala",
        "gt",
        "GT",
        "GT0101",
        "Ciudad de Guatemala",
        "Avenida Ejemplo 5-20, zona 1",
        ("information", "documents", "return"),
        saturday=True,
    ),
    InfoPoint(
        "gt-quetzaltenango",
        "gt",
        "GT",
        "GT0901",
        "Quetzaltenango",
        "Calle Ejemplo 14-30, zona 3",
        ("information", "visas"),
        languages=("es", "mam"),
    ),
    InfoPoint(
        "gt-tecun-uman",
        "gt",
        "GT",
        "GT1217",
        "Tecún Umán",
        "Calle Ejemplo 2-15, barrio El Centro",
        ("information", "documents", "trafficking"),
        languages=("es", "mam"),
    ),
    InfoPoint(
        "hn-san-pedro-sula",
        "hn",
        "HN",
        "HN0501",
        "San Pedro Sula",
        "Avenida Ejemplo, 3 calle, barrio Guamilito",
        ("information", "documents", "return"),
    ),
    InfoPoint(
        "hn-tegucigalpa",
        "hn",
        "HN",
        "HN0801",
        "Tegucigalpa",
        "Colonia Ejemplo, bloque B, casa 12",
        ("information", "visas", "legal"),
        stale_kinds=("legal",),
    ),
    InfoPoint(
        "sv-san-salvador",
        "sv",
        "SV",
        "SV0614",
        "San Salvador",
        "Calle Ejemplo 1020, colonia Escalón",
        ("information", "documents", "return"),
    ),
    InfoPoint(
        "sv-san-miguel",
        "sv",
        "SV",
        "SV1217",
        "San Miguel",
        "Avenida Ejemplo Norte 4, barrio San Francisco",
        ("information", "visas"),
        stale_kinds=("information",),
    ),
    InfoPoint(
        "ni-managua",
        "ni",
        "NI",
        "NI5530",
        "Managua",
        "De la rotonda Ejemplo, 2 cuadras al lago",
        ("information", "documents", "visas"),
    ),
    InfoPoint(
        "ni-chinandega",
        "ni",
        "NI",
        "NI3045",
        "Chinandega",
        "Del parque central Ejemplo, 1 cuadra al sur",
        ("information", "school-talks"),
    ),
    InfoPoint(
        "cr-san-jose",
        "cr",
        "CR",
        "CR101",
        "San José",
        "Avenida Ejemplo 2, calles 5 y 7",
        ("information", "asylum", "legal"),
        languages=("es", "en"),
    ),
    InfoPoint(
        "cr-upala",
        "cr",
        "CR",
        "CR213",
        "Upala",
        "Costado norte del parque Ejemplo",
        ("information", "documents", "asylum-accompaniment"),
    ),
    InfoPoint(
        "pa-panama",
        "pa",
        "PA",
        "PA0804",
        "Ciudad de Panamá",
        "Calle Ejemplo 50, corregimiento de Bella Vista",
        ("information", "asylum", "documents"),
        languages=("es", "en"),
    ),
)


def info_point_place(point: InfoPoint) -> PlaceSpec:
    services = []
    for kind in point.kinds:
        spec = replace(
            KINDS[kind](point.key, point.country, point.city), stale=kind in point.stale_kinds
        )
        if point.saturday and kind == "information":
            spec = replace(spec, hours=OFFICE_AND_SATURDAY)
        services.append(spec)
    return PlaceSpec(
        key=point.key,
        tenant=point.tenant,
        provider=point.tenant,
        area=point.area,
        name=(
            f"Punto de Información Ejemplo {point.city}",
            f"Example Information Point {point.city}",
        ),
        description=(
            "Punto de información sobre migración segura y regular, atendido por personal "
            "capacitado de una organización socia (ficticia).",
            "Information point on safe and regular migration, staffed by trained people from a "
            "(fictional) partner organisation.",
        ),
        transportation=(
            "A pocas cuadras del parque central; pregunta por el rótulo de Senda.",
            "A few blocks from the central park; look for the Senda sign.",
        ),
        address=point.address,
        city=point.city,
        languages=point.languages,
        services=tuple(services),
    )


# The Panama health project: five health centres in San Miguelito and La Chorrera -------------

HEALTH_HOURS = (Hours(WEEKDAYS, "07:00", "15:00"),)


def vaccination(key: str, saturday: bool) -> ServiceSpec:
    hours = HEALTH_HOURS + ((Hours("SA", "07:00", "11:00"),) if saturday else ())
    return ServiceSpec(
        key=f"{key}/vaccination",
        categories=("health.vaccination",),
        name=("Vacunación para niños, niñas y adultos", "Vaccination for children and adults"),
        description=(
            "Vacunas del esquema nacional para niñas, niños, embarazadas y personas adultas, "
            "incluidas las de COVID-19, influenza y sarampión. Si perdiste tu carné, te ponemos "
            "al día igual.",
            "Vaccines of the national schedule for children, pregnant women and adults, "
            "including COVID-19, influenza and measles. If you lost your card, we catch you up "
            "anyway.",
        ),
        eligibility=(
            "Todas las personas, de cualquier nacionalidad y situación migratoria.",
            "Everyone, of any nationality and migration status.",
        ),
        application=(
            "Ven sin cita; llega antes de las 11:00 para la vacunación del día.",
            "Walk in; arrive before 11:00 for the day's vaccination.",
        ),
        fees=FREE,
        costs=free("USD"),
        hours=hours,
        documents=(DOC_VACCINATION_CARD, DOC_ID_IF_ANY),
        official_url=PANAMA_HEALTH_URL,
    )


def prenatal(key: str, stale: bool = False) -> ServiceSpec:
    return ServiceSpec(
        key=f"{key}/prenatal",
        categories=("health.prenatal",),
        name=("Control prenatal", "Prenatal care"),
        description=(
            "Controles del embarazo con médico o enfermera obstetra: peso, presión, análisis, "
            "ultrasonido de referencia y vitaminas. Te damos tu carné de control prenatal.",
            "Pregnancy check-ups with a doctor or obstetric nurse: weight, blood pressure, tests, "
            "ultrasound referral and vitamins. You get a prenatal care card.",
        ),
        eligibility=(
            "Mujeres embarazadas de cualquier nacionalidad.",
            "Pregnant women of any nationality.",
        ),
        application=(
            "Pide tu primera cita en ventanilla o por WhatsApp; las siguientes te las damos en "
            "cada control.",
            "Ask for your first appointment at the desk or on WhatsApp; you get the next ones at "
            "each check-up.",
        ),
        fees=(
            "Consulta: B/. 1.00. Gratis si no puedes pagar.",
            "Visit: B/. 1.00. Free if you cannot pay.",
        ),
        costs=(
            Cost(
                ("Consulta de control prenatal", "Prenatal check-up"),
                "1.00",
                "USD",
                ("B/. 1.00; gratis si no puedes pagar", "B/. 1.00; free if you cannot pay"),
            ),
        ),
        hours=HEALTH_HOURS,
        documents=(DOC_ID, DOC_PRENATAL_CARD),
        official_url=PANAMA_HEALTH_URL,
        stale=stale,
    )


def mental_health(key: str, stale: bool = False) -> ServiceSpec:
    return ServiceSpec(
        key=f"{key}/mental-health",
        categories=("health.mental",),
        name=("Salud mental y apoyo psicosocial", "Mental health and psychosocial support"),
        description=(
            "Atención con psicóloga o psicólogo, individual o en grupo, si te sientes triste, con "
            "miedo, sin dormir o agobiado por el viaje o la situación en tu país.",
            "Individual or group sessions with a psychologist if you feel sad, afraid, cannot "
            "sleep or are overwhelmed by the journey or the situation in your country.",
        ),
        eligibility=(
            "Personas adultas y adolescentes; no necesitas documentos.",
            "Adults and teenagers; you need no documents.",
        ),
        application=(
            "Pide cita en ventanilla, por WhatsApp o a través de un promotor de salud.",
            "Book at the desk, on WhatsApp or through a health promoter.",
        ),
        fees=FREE,
        costs=free("USD"),
        hours=(Hours("TU,TH", "08:00", "12:00"),),
        official_url=PANAMA_HEALTH_URL,
        stale=stale,
    )


def covid_testing(key: str) -> ServiceSpec:
    return ServiceSpec(
        key=f"{key}/covid19",
        categories=("health.covid19",),
        name=("Prueba de COVID-19", "COVID-19 testing"),
        description=(
            "Prueba de antígeno para personas con síntomas o que un promotor de salud refiere "
            "por sospecha de COVID-19. También prueba para viajar, con costo.",
            "Antigen test for people with symptoms or referred by a health promoter as a "
            "suspected COVID-19 case. Also a travel test, for a fee.",
        ),
        eligibility=("Cualquier persona.", "Anyone."),
        application=(
            "Ven por la mañana; si tienes síntomas, avisa al llegar y usa mascarilla.",
            "Come in the morning; if you have symptoms, say so when you arrive and wear a mask.",
        ),
        fees=(
            "Gratis con síntomas o referencia; prueba para viajar: B/. 15.00.",
            "Free with symptoms or a referral; travel test: B/. 15.00.",
        ),
        costs=(
            Cost(("Con síntomas o referido", "With symptoms or referred"), "0", "USD"),
            Cost(
                ("Prueba para viajar", "Travel test"),
                "15.00",
                "USD",
                ("B/. 15.00, resultado en el día", "B/. 15.00, same-day result"),
            ),
        ),
        hours=(Hours(WEEKDAYS, "07:00", "11:00"),),
        documents=(DOC_ID,),
        official_url=PANAMA_HEALTH_URL,
    )


def primary_care(key: str) -> ServiceSpec:
    return ServiceSpec(
        key=f"{key}/primary",
        categories=("health.primary",),
        name=("Consulta de medicina general", "General medical consultation"),
        description=(
            "Consulta médica para cuando te enfermas o te lastimas, control de presión y "
            "azúcar, y medicamentos básicos de la farmacia del centro.",
            "Medical visit when you are ill or hurt, blood pressure and sugar checks, and basic "
            "medicines from the centre's pharmacy.",
        ),
        eligibility=("Cualquier persona.", "Anyone."),
        application=(
            "Saca tu turno en ventanilla desde las 6:30.",
            "Get your turn at the desk from 6:30.",
        ),
        fees=("Consulta: B/. 2.00.", "Visit: B/. 2.00."),
        costs=(Cost(("Consulta general", "General visit"), "2.00", "USD"),),
        hours=HEALTH_HOURS,
        documents=(DOC_ID,),
        official_url=PANAMA_HEALTH_URL,
    )


def sexual_health(key: str) -> ServiceSpec:
    return ServiceSpec(
        key=f"{key}/srh",
        categories=("health.srh",),
        name=("Salud sexual y reproductiva", "Sexual and reproductive health"),
        description=(
            "Métodos anticonceptivos, pruebas de VIH y sífilis, y consejería confidencial.",
            "Contraception, HIV and syphilis tests, and confidential counselling.",
        ),
        eligibility=(
            "Personas desde los 15 años; es confidencial.",
            "People aged 15 and over; it is confidential.",
        ),
        application=("Ven sin cita.", "Walk in."),
        fees=FREE,
        costs=free("USD"),
        hours=HEALTH_HOURS,
        official_url=PANAMA_HEALTH_URL,
        minimum_age=15,
    )


def supermarket_vaccination(key: str) -> ServiceSpec:
    return replace(
        vaccination(key, saturday=False),
        key=f"{key}/vaccination-outreach",
        name=(
            "Jornada de vacunación en supermercados",
            "Vaccination sessions at supermarkets",
        ),
        description=(
            "Los sábados, el equipo del centro y los promotores vacunan en la entrada de "
            "supermercados del distrito. Pendiente de revisión: confirmar los lugares.",
            "On Saturdays the centre's team and the promoters vaccinate at the entrance of "
            "supermarkets in the district. Waiting for review: the places need confirming.",
        ),
        hours=(Hours("SA", "08:00", "12:00"),),
        status=PublicationStatus.PENDING_REVIEW,
    )


@dataclass(frozen=True)
class HealthCentre:
    key: str
    area: str
    place_name: str
    address: str
    city: str
    languages: tuple[str, ...] = ("es",)
    saturday: bool = False
    extra: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()


HEALTH_CENTRES: tuple[HealthCentre, ...] = (
    HealthCentre(
        "pa-hc-san-miguelito",
        "PA0805",
        "San Miguelito",
        "Vía Ejemplo, frente a la estación de metro",
        "San Miguelito",
        languages=("es", "en"),
        saturday=True,
        extra=("primary",),
    ),
    HealthCentre(
        "pa-hc-torrijos-carter",
        "PA0805",
        "Torrijos-Carter",
        "Calle Ejemplo 3, Torrijos-Carter",
        "San Miguelito",
        extra=("srh",),
    ),
    HealthCentre(
        "pa-hc-cerro-batea",
        "PA0805",
        "Cerro Batea",
        "Avenida Ejemplo, Cerro Batea",
        "San Miguelito",
    ),
    HealthCentre(
        "pa-hc-la-chorrera",
        "PA1304",
        "La Chorrera",
        "Calle Ejemplo Central, Barrio Balboa",
        "La Chorrera",
        languages=("es", "en"),
        saturday=True,
        extra=("primary", "vaccination-outreach"),
    ),
    HealthCentre(
        "pa-hc-barrio-colon",
        "PA1304",
        "Barrio Colón",
        "Avenida Ejemplo 8, Barrio Colón",
        "La Chorrera",
        stale=("mental-health", "prenatal"),
    ),
)


def health_centre_place(centre: HealthCentre) -> PlaceSpec:
    services = [
        vaccination(centre.key, centre.saturday),
        prenatal(centre.key, stale="prenatal" in centre.stale),
        mental_health(centre.key, stale="mental-health" in centre.stale),
        covid_testing(centre.key),
    ]
    extras = {
        "primary": primary_care,
        "srh": sexual_health,
        "vaccination-outreach": supermarket_vaccination,
    }
    services.extend(extras[kind](centre.key) for kind in centre.extra)
    return PlaceSpec(
        key=centre.key,
        tenant="pa-health",
        provider="pa-health",
        area=centre.area,
        name=(
            f"Centro de Salud Ejemplo {centre.place_name}",
            f"Example Health Centre {centre.place_name}",
        ),
        description=(
            "Centro de salud público (ficticio) que atiende a personas migrantes y a la "
            "comunidad de acogida; trabaja con los promotores de salud del proyecto.",
            "A (fictional) public health centre serving migrants and the host community; it "
            "works with the project's health promoters.",
        ),
        transportation=(
            "Buses y metro bus con parada a una cuadra.",
            "Buses and metro bus stop one block away.",
        ),
        address=centre.address,
        city=centre.city,
        languages=centre.languages,
        services=tuple(services),
    )


# Local opportunities: learning, work and entrepreneurship -------------------------------------


def vocational(key: str, trade: Text, country: str) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/vocational",
        categories=("education.vocational", "education"),
        name=(f"Curso técnico de {trade[0]}", f"{trade[1]} vocational course"),
        description=(
            f"Curso práctico de tres meses de {trade[0]} con certificado, prácticas en empresas "
            "de la zona y beca de transporte.",
            f"Three-month hands-on {trade[1].lower()} course with a certificate, work placements "
            "with local businesses and a transport grant.",
        ),
        eligibility=(
            "Jóvenes de 16 a 29 años, también personas retornadas.",
            "Young people aged 16 to 29, returnees too.",
        ),
        application=(
            "Inscríbete en el centro o por WhatsApp; los cursos empiezan cada trimestre.",
            "Sign up at the centre or on WhatsApp; courses start every quarter.",
        ),
        fees=("Gratis, con beca de transporte.", "Free, with a transport grant."),
        costs=free(facts.currency),
        hours=(Hours("MO,TU,WE,TH", "14:00", "18:00"),),
        documents=(DOC_ID,),
        minimum_age=16,
        maximum_age=29,
    )


def job_placement(key: str, country: str, for_migrants: bool = False) -> ServiceSpec:
    facts = COUNTRIES[country]
    audience: Text = (
        ("Personas migrantes, refugiadas y de la comunidad.", "Migrants, refugees and locals.")
        if for_migrants
        else ("Jóvenes de 18 a 29 años.", "Young people aged 18 to 29.")
    )
    return ServiceSpec(
        key=f"{key}/placement",
        categories=("employment.placement", "employment"),
        name=(
            "Bolsa de empleo y acompañamiento laboral",
            "Job board and employment support",
        ),
        description=(
            "Te ayudamos a hacer tu hoja de vida, a preparar entrevistas y te presentamos a "
            "empresas de la zona que buscan personal. Te explicamos tus derechos como "
            "trabajador o trabajadora.",
            "We help you write your CV and prepare for interviews, and introduce you to local "
            "companies that are hiring. We explain your rights as a worker.",
        ),
        eligibility=audience,
        application=(
            "Ven con tu documento a la sesión informativa de los lunes a las 10:00.",
            "Bring your ID to the information session on Mondays at 10:00.",
        ),
        fees=FREE,
        costs=free(facts.currency),
        hours=(Hours(WEEKDAYS, "09:00", "17:00"),),
        documents=(DOC_ID, DOC_CV),
        minimum_age=None if for_migrants else 18,
        maximum_age=None if for_migrants else 29,
    )


def business_training(key: str, country: str, fee: str = "0") -> ServiceSpec:
    facts = COUNTRIES[country]
    costs = (
        free(facts.currency)
        if fee == "0"
        else (
            Cost(
                ("Inscripción (incluye materiales)", "Registration (materials included)"),
                fee,
                facts.currency,
            ),
        )
    )
    return ServiceSpec(
        key=f"{key}/business-training",
        categories=("entrepreneurship.training", "entrepreneurship"),
        name=("Escuela de emprendimiento", "Business school"),
        description=(
            "Ocho sesiones para convertir tu idea en un negocio: plan de negocio, costos y "
            "precios, ventas por redes sociales y ahorro. Al terminar presentas tu plan.",
            "Eight sessions to turn your idea into a business: business plan, costs and prices, "
            "selling on social media and saving. At the end you present your plan.",
        ),
        eligibility=("Personas de 18 a 35 años.", "People aged 18 to 35."),
        application=(
            "Inscríbete por WhatsApp; cupos limitados por grupo.",
            "Sign up on WhatsApp; places per group are limited.",
        ),
        fees=(
            FREE
            if fee == "0"
            else (f"Inscripción: {fee} {facts.currency}.", f"Registration: {fee} {facts.currency}.")
        ),
        costs=costs,
        hours=(Hours("SA", "08:00", "12:00"),),
        documents=(DOC_ID,),
        minimum_age=18,
        maximum_age=35,
    )


def seed_capital(key: str, country: str, stale: bool = False) -> ServiceSpec:
    facts = COUNTRIES[country]
    return ServiceSpec(
        key=f"{key}/seed-capital",
        categories=("entrepreneurship.capital", "entrepreneurship"),
        name=("Capital semilla para jóvenes emprendedores", "Seed capital for young entrepreneurs"),
        description=(
            "Un fondo no reembolsable en equipo e insumos para arrancar tu negocio, con "
            "acompañamiento durante seis meses. Se asigna por convocatoria dos veces al año.",
            "A non-repayable grant in equipment and supplies to start your business, with six "
            "months of mentoring. Awarded through calls twice a year.",
        ),
        eligibility=(
            "Jóvenes de 18 a 29 años que terminaron la escuela de emprendimiento.",
            "Young people aged 18 to 29 who completed the business school.",
        ),
        application=(
            "Presenta tu plan de negocio en la convocatoria abierta.",
            "Submit your business plan in the open call.",
        ),
        fees=FREE,
        costs=free(facts.currency),
        hours=(Hours("MO,WE", "09:00", "13:00"),),
        documents=(DOC_ID, DOC_PLAN),
        minimum_age=18,
        maximum_age=29,
        stale=stale,
    )


def spanish_classes(key: str) -> ServiceSpec:
    return ServiceSpec(
        key=f"{key}/spanish",
        categories=("education.language", "education"),
        name=("Clases de español para personas migrantes", "Spanish classes for migrants"),
        description=(
            "Clases de español básico e intermedio para personas que hablan kreyòl, francés "
            "u otras lenguas, pensadas para el trabajo y los trámites.",
            "Basic and intermediate Spanish classes for speakers of Kreyòl, French or other "
            "languages, focused on work and paperwork.",
        ),
        eligibility=("Personas migrantes y refugiadas.", "Migrants and refugees."),
        application=("Ven a la primera clase sin inscribirte.", "Come to the first class."),
        fees=FREE,
        costs=free("MXN"),
        hours=(Hours("MO,WE,FR", "16:00", "18:00"),),
    )


@dataclass(frozen=True)
class OpportunityCentre:
    key: str
    tenant: str
    country: str
    area: str
    city: str
    place_name: Text
    address: str
    services: tuple[ServiceSpec, ...]
    languages: tuple[str, ...] = ("es",)


def _opportunity_centres() -> tuple[OpportunityCentre, ...]:
    return (
        OpportunityCentre(
            "gt-opp",
            "gt",
            "GT",
            "GT0901",
            "Quetzaltenango",
            ("Centro de Formación Ejemplo Xelajú", "Example Training Centre Xelajú"),
            "Calle Ejemplo 9-40, zona 1",
            (
                vocational("gt-opp", ("cocina y panadería", "Cooking and baking"), "GT"),
                job_placement("gt-opp", "GT"),
                seed_capital("gt-opp", "GT", stale=True),
            ),
            languages=("es", "mam"),
        ),
        OpportunityCentre(
            "hn-opp",
            "hn",
            "HN",
            "HN0501",
            "San Pedro Sula",
            ("Centro de Formación Ejemplo Valle de Sula", "Example Training Centre Valle de Sula"),
            "Boulevard Ejemplo, colonia Trejo",
            (
                vocational("hn-opp", ("mecánica de motos", "Motorbike mechanics"), "HN"),
                business_training("hn-opp", "HN", fee="100.00"),
                job_placement("hn-opp", "HN"),
            ),
        ),
        OpportunityCentre(
            "sv-opp",
            "sv",
            "SV",
            "SV0614",
            "San Salvador",
            ("Academia Ejemplo Jóvenes Conectados", "Example Connected Youth Academy"),
            "Alameda Ejemplo 300",
            (
                vocational("sv-opp", ("programación web", "Web programming"), "SV"),
                business_training("sv-opp", "SV"),
                seed_capital("sv-opp", "SV"),
            ),
        ),
        OpportunityCentre(
            "ni-opp",
            "ni",
            "NI",
            "NI3045",
            "Chinandega",
            ("Escuela Técnica Ejemplo de Occidente", "Example Western Technical School"),
            "Del mercado Ejemplo, 3 cuadras al norte",
            (
                vocational("ni-opp", ("belleza y barbería", "Beauty and barbering"), "NI"),
                business_training("ni-opp", "NI"),
                seed_capital("ni-opp", "NI"),
            ),
        ),
        OpportunityCentre(
            "mx-opp",
            "mx",
            "MX",
            "MX07089",
            "Tapachula",
            (
                "Centro Ejemplo de Empleo e Integración",
                "Example Employment and Integration Centre",
            ),
            "Avenida Ejemplo Norte 21",
            (
                job_placement("mx-opp", "MX", for_migrants=True),
                business_training("mx-opp", "MX"),
                spanish_classes("mx-opp"),
            ),
            languages=("es", "ht"),
        ),
    )


def opportunity_place(centre: OpportunityCentre) -> PlaceSpec:
    return PlaceSpec(
        key=centre.key,
        tenant=centre.tenant,
        provider=centre.key,
        area=centre.area,
        name=centre.place_name,
        description=(
            "Centro (ficticio) de formación, empleo y emprendimiento para jóvenes, aliado de la "
            "campaña nacional.",
            "A (fictional) training, employment and entrepreneurship centre for young people, "
            "partner of the national campaign.",
        ),
        transportation=(
            "Cerca de la terminal de buses urbanos.",
            "Near the city bus terminal.",
        ),
        address=centre.address,
        city=centre.city,
        languages=centre.languages,
        services=centre.services,
    )


# Provider organisations (HSDS organization) ---------------------------------------------------

PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        "mx",
        "mx",
        (
            "Red Ejemplo de Puntos de Información (ficticia)",
            "Example Network of Information Points (fictional)",
        ),
        (
            "Red de puntos de información de la campaña Migrar Informados en México.",
            "Network of information points of the Migrar Informados campaign in Mexico.",
        ),
    ),
    ProviderSpec(
        "gt",
        "gt",
        (
            "Asociación Juvenil Ejemplo Échale Ganas (ficticia)",
            "Example Youth Association Échale Ganas (fictional)",
        ),
        (
            "Organización juvenil socia de la campaña Échale Ganas en Guatemala.",
            "Youth organisation, partner of the Échale Ganas campaign in Guatemala.",
        ),
    ),
    ProviderSpec(
        "hn",
        "hn",
        ("Fundación Ejemplo Ponele Plan (ficticia)", "Example Foundation Ponele Plan (fictional)"),
        (
            "Fundación socia de la campaña Ponele Plan a Tu Vida en Honduras.",
            "Foundation, partner of the Ponele Plan a Tu Vida campaign in Honduras.",
        ),
    ),
    ProviderSpec(
        "sv",
        "sv",
        (
            "Colectivo Ejemplo Conectá con tu Futuro (ficticio)",
            "Example Collective Conectá con tu Futuro (fictional)",
        ),
        (
            "Colectivo socio de la campaña Conectá con tu Futuro en El Salvador.",
            "Collective, partner of the Conectá con tu Futuro campaign in El Salvador.",
        ),
    ),
    ProviderSpec(
        "ni",
        "ni",
        ("Red Juvenil Ejemplo #YoCamino (ficticia)", "Example Youth Network #YoCamino (fictional)"),
        (
            "Red juvenil socia de la campaña #YoCamino en Nicaragua.",
            "Youth network, partner of the #YoCamino campaign in Nicaragua.",
        ),
    ),
    ProviderSpec(
        "cr",
        "cr",
        (
            "Centro de Orientación Ejemplo Costa Rica (ficticio)",
            "Example Guidance Centre Costa Rica (fictional)",
        ),
        (
            "Centro de orientación para personas migrantes y refugiadas en Costa Rica.",
            "Guidance centre for migrants and refugees in Costa Rica.",
        ),
    ),
    ProviderSpec(
        "pa",
        "pa",
        (
            "Proyecto Ejemplo Salud sin Fronteras Panamá (ficticio)",
            "Example Health without Borders Project Panama (fictional)",
        ),
        (
            "Proyecto de promotores de salud y líderes comunitarios con personas migrantes "
            "venezolanas y comunidades de acogida en Panamá.",
            "Project of health promoters and community leaders working with Venezuelan migrants "
            "and host communities in Panama.",
        ),
    ),
    ProviderSpec(
        "pa-health",
        "pa-health",
        ("Región de Salud Ejemplo Panamá (ficticia)", "Example Health Region Panama (fictional)"),
        (
            "Región de salud (ficticia) con cinco centros en San Miguelito y La Chorrera.",
            "A (fictional) health region with five centres in San Miguelito and La Chorrera.",
        ),
        website=PANAMA_HEALTH_URL,
    ),
    *(
        ProviderSpec(
            centre.key,
            centre.tenant,
            (f"{centre.place_name[0]} (ficticio)", f"{centre.place_name[1]} (fictional)"),
            (
                "Centro de formación, empleo y emprendimiento para jóvenes.",
                "Training, employment and entrepreneurship centre for young people.",
            ),
        )
        for centre in _opportunity_centres()
    ),
)


def places() -> tuple[PlaceSpec, ...]:
    """Every demo location with its services, in a fixed order."""
    return (
        *(info_point_place(point) for point in INFO_POINTS),
        *(health_centre_place(centre) for centre in HEALTH_CENTRES),
        *(opportunity_place(centre) for centre in _opportunity_centres()),
    )
