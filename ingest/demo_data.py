"""A deterministic demo city: feedback with whole lifecycles, service cases, surveys,
outcome measures, meetings, decisions, council initiatives and indicator targets.

Areas are Espoo's major districts; texts are Finnish, Swedish and some English.
A few residents write their phone number, e-mail or identity code into the
feedback, as real residents do, so redaction is visible in the demo. The same
seed, size and end month always give the same events.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ingest.events import make_event

SOURCE_FEEDBACK = "demo-feedback"
SOURCE_SERVICE = "demo-services"
SOURCE_GOVERNANCE = "demo-governance"

AREAS = (
    "Suur-Leppävaara",
    "Suur-Tapiola",
    "Suur-Matinkylä",
    "Suur-Espoonlahti",
    "Suur-Kauklahti",
    "Vanha-Espoo",
    "Pohjois-Espoo",
)
_AREA_WEIGHTS = (22, 18, 16, 20, 5, 14, 5)

# code: (fi, sv, en, responsible unit, typical first-response hours, service committee)
SERVICES: dict[str, tuple[str, str, str, str, float, str]] = {
    "171": (
        "Katujen kunnossapito",
        "Gatuunderhåll",
        "Street maintenance",
        "Kadut ja liikenne",
        40,
        "Tekninen lautakunta",
    ),
    "172": (
        "Puistot ja viheralueet",
        "Parker och grönområden",
        "Parks and green areas",
        "Viheralueet",
        60,
        "Tekninen lautakunta",
    ),
    "180": (
        "Liikenne ja pysäköinti",
        "Trafik och parkering",
        "Traffic and parking",
        "Liikennesuunnittelu",
        90,
        "Tekninen lautakunta",
    ),
    "210": (
        "Varhaiskasvatus",
        "Småbarnspedagogik",
        "Early childhood education",
        "Varhaiskasvatus",
        70,
        "Kasvun ja oppimisen lautakunta",
    ),
    "220": (
        "Perusopetus",
        "Grundläggande utbildning",
        "Basic education",
        "Perusopetus",
        80,
        "Kasvun ja oppimisen lautakunta",
    ),
    "320": ("Kirjastot", "Bibliotek", "Libraries", "Kirjastopalvelut", 30, "Kulttuurilautakunta"),
    "330": ("Liikuntapalvelut", "Idrottstjänster", "Sports services", "Liikuntapalvelut", 50, "Liikuntalautakunta"),
    "410": (
        "Jätehuolto ja siisteys",
        "Avfall och renhållning",
        "Waste and cleanliness",
        "Ympäristöpalvelut",
        45,
        "Ympäristölautakunta",
    ),
    "510": (
        "Rakennusvalvonta",
        "Byggnadstillsyn",
        "Building control",
        "Rakennusvalvonta",
        120,
        "Kaupunkisuunnittelulautakunta",
    ),
}

_FEEDBACK_FI = {
    "171": [
        ("Katuvalo rikki", "Katuvalo on ollut pimeänä jo viikon {street} kohdalla. Illalla on todella pimeää kävellä."),
        ("Kuoppa kadussa", "Syvä kuoppa ajoradalla osoitteessa {street}, pyöräilijä voi kaatua."),
        ("Aurauksesta", "Kevyen liikenteen väylää ei ole aurattu {street} ja lähistöllä, liukasta ja vaarallista."),
        ("Hiekoitus puuttuu", "Jalkakäytävä on jäässä {street} kohdalla. Ikäihmisten on vaikea liikkua."),
    ],
    "172": [
        ("Puiston penkki rikki", "Leikkipuiston penkki on rikki ja siinä on teräviä nauloja."),
        ("Roskikset täynnä", "Puiston roska-astiat ovat täynnä ja roskat lentelevät nurmikolle."),
        ("Kaatunut puu", "Myrskyssä kaatunut puu on kävelytien päällä {street} lähellä."),
    ],
    "180": [
        ("Vaarallinen risteys", "Risteyksessä {street} autot ajavat lujaa, tarvitaan hidaste koululaisten takia."),
        (
            "Pysäköinti jalkakäytävällä",
            "Autot pysäköivät jatkuvasti jalkakäytävälle {street}, lastenvaunuilla ei pääse ohi.",
        ),
        ("Liikennemerkki kaatunut", "Stop-merkki on kaatunut risteyksessä {street}."),
    ],
    "210": [
        ("Päiväkotipaikka", "Hain päiväkotipaikkaa neljä kuukautta sitten, enkä ole vieläkään saanut päätöstä."),
        ("Päiväkodin piha", "Päiväkodin pihan aita on rikki ja lapset pääsevät kadulle."),
        ("Kiitos päiväkodille", "Kiitos päiväkodin henkilökunnalle upeasta työstä, lapsi viihtyy hyvin."),
    ],
    "220": [
        ("Koulukuljetus", "Koulukuljetus on myöhästynyt useita kertoja tässä kuussa."),
        ("Sisäilma", "Koulun luokassa on tunkkainen ilma ja oppilailla päänsärkyä."),
        ("Kouluruoka", "Kouluruoan annokset ovat liian pieniä yläkoululaisille."),
    ],
    "320": [
        ("Kirjaston aukioloajat", "Toivoisin kirjastolle pidempiä aukioloaikoja viikonloppuisin."),
        ("Kiitos kirjastolle", "Kirjaston satutunti oli lapsille ihana, kiitos!"),
        ("Lainausautomaatti", "Lainausautomaatti ei toimi, jonot ovat pitkät."),
    ],
    "330": [
        ("Uimahallin siivous", "Uimahallin pukuhuoneet ovat likaisia iltaisin."),
        ("Kuntoradan valaistus", "Kuntoradan valot sammuvat jo kello 22."),
        ("Tekonurmi kulunut", "Tekonurmikenttä on kulunut ja siinä on reikiä."),
    ],
    "410": [
        ("Roskaaminen", "Metsään on tuotu vanhoja huonekaluja {street} lähelle."),
        ("Koirien jätökset", "Koirapuisto on siivoamatta ja haisee."),
        ("Graffitit", "Alikulkutunnelin seinät on sotkettu graffiteilla {street} kohdalla."),
    ],
    "510": [
        ("Rakennuslupa", "Rakennuslupahakemukseni käsittely on kestänyt jo kolme kuukautta."),
        ("Luvaton rakentaminen", "Naapuritontille rakennetaan ilmeisesti ilman lupaa {street}."),
    ],
}
_FEEDBACK_SV = {
    "171": [
        ("Gatubelysning trasig", "Gatlyktan vid {street} har varit släckt i en vecka."),
        ("Halka", "Gång- och cykelvägen är isig och inte sandad vid {street}."),
    ],
    "172": [("Lekpark", "Gungan i lekparken är trasig och farlig för barnen.")],
    "210": [("Dagisplats", "Jag har väntat länge på beslut om dagvårdsplats på svenska.")],
    "320": [("Biblioteket", "Tack för de nya svenska böckerna på biblioteket!")],
    "410": [("Nedskräpning", "Någon har dumpat sopor i skogen nära {street}.")],
}
_FEEDBACK_EN = {
    "171": [("Broken streetlight", "The streetlight near {street} has been out for days.")],
    "320": [("Library hours", "Could the library stay open later on Sundays?")],
}
_STREETS = (
    "Leppävaarankatu",
    "Tapiontori",
    "Piispansilta",
    "Kivenlahdentie",
    "Kauklahdenväylä",
    "Espoonkatu",
    "Kunnarlantie",
    "Merituulentie",
    "Otaniementie",
    "Kilonkallio",
    "Soukanranta",
)
_RESPONSES = (
    "Kiitos palautteestasi. Asia on välitetty urakoitsijalle ja korjaus tehdään lähipäivinä.",
    "Kiitos yhteydenotosta. Olemme tarkastaneet kohteen ja korjanneet vian.",
    "Kiitos palautteesta. Asia on lisätty ensi kauden töihin, ja se tehdään resurssien salliessa.",
    "Kiitos palautteesta. Tarkastuksessa ei havaittu korjattavaa.",
    "Kiitos palautteesta. Kohde ei ole kaupungin ylläpitämä; välitimme tiedon kiinteistön omistajalle.",
    "Tack för responsen. Vi har åtgärdat saken.",
)
_FIRST = (
    "Aino",
    "Eero",
    "Helmi",
    "Juhani",
    "Kaisa",
    "Lauri",
    "Minna",
    "Olli",
    "Pirjo",
    "Sami",
    "Tiina",
    "Ville",
    "Anna",
    "Mikael",
    "Sofia",
    "Johan",
    "Leena",
    "Pekka",
    "Riikka",
    "Tuomas",
)
_LAST = (
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lindqvist",
    "Saarinen",
    "Salminen",
    "Holmström",
    "Rantanen",
    "Karjalainen",
    "Lindberg",
)
_COUNCIL_GROUPS = ("Kok.", "Vihr.", "SDP", "PS", "RKP", "Vas.", "Kesk.", "KD", "Liik.")

BODIES = {
    "valtuusto": "Kaupunginvaltuusto",
    "hallitus": "Kaupunginhallitus",
    "kasvu": "Kasvun ja oppimisen lautakunta",
    "tekninen": "Tekninen lautakunta",
    "ymparisto": "Ympäristölautakunta",
    "liikunta": "Liikuntalautakunta",
    "kulttuuri": "Kulttuurilautakunta",
    "kaupunkisuunnittelu": "Kaupunkisuunnittelulautakunta",
}

OUTCOMES = {
    "health_care_within_14_days": (
        {
            "fi": "Kiireetön hoito 14 päivässä",
            "sv": "Icke-brådskande vård inom 14 dagar",
            "en": "Non-urgent care within 14 days",
        },
        "%",
        "higher",
        "hallitus",
        72.0,
        85.0,
    ),
    "pupil_wellbeing": (
        {"fi": "Oppilaat, jotka voivat hyvin", "sv": "Elever som mår bra", "en": "Pupils who report feeling well"},
        "%",
        "higher",
        "kasvu",
        68.0,
        75.0,
    ),
    "residents_feeling_safe": (
        {
            "fi": "Asuinalueellaan turvalliseksi olonsa kokevat",
            "sv": "Invånare som känner sig trygga",
            "en": "Residents who feel safe in their area",
        },
        "%",
        "higher",
        "hallitus",
        78.0,
        85.0,
    ),
}

MOTION_TITLE = "Valtuustoaloite asukas- ja asiakaslähtöisyyden lisäämisestä"
MOTION_TEXT = (
    "Espoon visio ja strategia korostavat asukas- ja asiakaslähtöisyyttä, mutta käytännössä johto seuraa talouslukuja "
    "ja suoritemääriä, palveluiden vaikuttavuutta seurataan liian vähän ja asukkaiden palautteeseen vastataan muun työn "
    "ohessa. Esitämme, että asukas- ja asiakaslähtöisyydestä tehdään johtamisen keskeinen tavoite, jota käsitellään "
    "johtoryhmissä jatkuvasti kuten taloudellisia tunnuslukuja, että palveluiden vaikuttavuutta seurataan jatkuvasti, "
    "ja kysymme: 1) Miten varmistetaan, että asukaslähtöinen toimintatapa näkyy asukkaille konkreettisesti niin, että he "
    "voivat ja haluavat osallistua? 2) Miten varmistetaan palveluiden vaikuttavuuden kasvu? 3) Miten varmistetaan, että "
    "valtuutetut, kaupunginhallitus ja lautakunnat voivat ohjata organisaatiota nykyistä paremmin?"
)


def identity_code(rng: random.Random) -> str:
    """A made-up personal identity code with a correct control character."""
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 60))
    serial = rng.randrange(2, 899)
    digits = f"{born:%d%m%y}{serial:03d}"
    sign = "-" if born.year < 2000 else "A"
    return f"{born:%d%m%y}{sign}{serial:03d}{'0123456789ABCDEFHJKLMNPRSTUVWXY'[int(digits) % 31]}"


def _pii(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f" Soittakaa minulle numeroon 040 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}."
    if kind == 1:
        return f" Vastaus osoitteeseen {rng.choice(_FIRST).lower()}.{rng.choice(_LAST).lower()}@example.fi, kiitos."
    if kind == 2:
        return f" Henkilötunnukseni on {identity_code(rng)}."
    return " Laskun voi maksaa tililleni FI21 1234 5600 0007 85."


def generate(
    events: int = 50_000, seed: int = 2026, until: date | None = None, months: int = 24
) -> Iterator[dict[str, Any]]:
    """About ``events`` events covering the ``months`` months before ``until`` (default: this month's start).

    More events over the same months make a bigger city (each month's atoms hold more items); more
    months for proportionally more events make a longer history at the same size (``mittari bench
    ingest --months``): the two grow different costs, so the benchmarks can tell them apart. Months are
    30.4 days (730 days for 24), so the default gives the same events as before the parameter.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    rng = random.Random(seed)
    end = until or date.today().replace(day=1)
    end_dt = datetime(end.year, end.month, end.day, tzinfo=UTC)
    start_dt = end_dt - timedelta(days=730 * months // 24)
    span = (end_dt - start_dt).total_seconds()

    def when(fraction: float) -> datetime:
        return start_dt + timedelta(seconds=span * fraction)

    governance = list(_governance(rng, start_dt, end_dt))
    fixed = len(governance) + len(OUTCOMES) * len(AREAS) * months
    budget = max(0, events - fixed)
    # share of the remaining budget: feedback items average ~4.4 events, cases 2, surveys 1
    n_feedback = int(budget * 0.62 / 4.4)
    n_cases = int(budget * 0.24 / 2)
    stream: list[tuple[datetime, dict[str, Any]]] = [(parse_at(e), e) for e in governance]
    stream += _outcomes(rng, end_dt, months)
    for i in range(n_feedback):
        stream += _feedback_item(rng, i, when(rng.random()), end_dt)
    for i in range(n_cases):
        stream += _case(rng, i, when(rng.random()), end_dt)
    for i in range(max(0, events - len(stream))):  # surveys make up the rest
        stream.append(_survey(rng, i, when(rng.random())))
    stream.sort(key=lambda pair: pair[0])
    # Source systems deliver a few events late: swap some neighbours so order must come from the events.
    for i in range(0, len(stream) - 1, 97):
        stream[i], stream[i + 1] = stream[i + 1], stream[i]
    for _, event in stream[:events]:
        yield event


def parse_at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))


def _area(rng: random.Random) -> str:
    return rng.choices(AREAS, _AREA_WEIGHTS)[0]


def _feedback_item(
    rng: random.Random, i: int, received: datetime, end: datetime
) -> list[tuple[datetime, dict[str, Any]]]:
    code = rng.choice(list(SERVICES))
    fi, sv, en, unit, typical_hours, _ = SERVICES[code]
    lang = rng.choices(("fi", "sv", "en"), (85, 11, 4))[0]
    pool = {"fi": _FEEDBACK_FI, "sv": _FEEDBACK_SV, "en": _FEEDBACK_EN}[lang].get(code) or _FEEDBACK_FI[code]
    if lang != "fi" and code not in {"fi": _FEEDBACK_FI, "sv": _FEEDBACK_SV, "en": _FEEDBACK_EN}[lang]:
        lang = "fi"
    title, text = rng.choice(pool)
    text = text.format(street=f"{rng.choice(_STREETS)} {rng.randrange(1, 60)}")
    if rng.random() < 0.04:
        text += _pii(rng)
    area = _area(rng)
    subject = f"fb-{i:07d}"
    out: list[tuple[datetime, dict[str, Any]]] = []

    def add(kind: str, at: datetime, payload: dict[str, Any], seq: int, suffix: str) -> None:
        if at <= end:
            out.append(
                (
                    at,
                    make_event(
                        kind, subject, at, payload, source=SOURCE_FEEDBACK, event_id=f"{subject}:{suffix}", sequence=seq
                    ),
                )
            )

    add(
        "feedback.received",
        received,
        {
            "service_code": code,
            "service_name": {"fi": fi, "sv": sv, "en": en}[lang],
            "title": title,
            "description": text,
            "address": None,
            "area": area,
            "channel": rng.choice(("web", "web", "app", "email", "phone")),
            "language": lang,
        },
        0,
        "received",
    )
    # Service gets faster over the last two years (the point of following it), with a long tail.
    progress = max(0.0, (received - (end - timedelta(days=730))).total_seconds() / (730 * 86400))
    scale = typical_hours * (1.25 - 0.5 * progress)
    at = received + timedelta(hours=rng.uniform(0.5, 8))
    add("feedback.status_changed", at, {"state": "in_process"}, 1, "in_process")
    if rng.random() < 0.06:
        return out  # still in process
    responded = at + timedelta(hours=rng.lognormvariate(0, 0.8) * scale)
    outcome = rng.choices(
        ("resolved", "scheduled_later", "closed_without_action", "not_city_responsibility", "closed"),
        (58, 14, 12, 6, 10),
    )[0]
    response = {
        "resolved": _RESPONSES[1],
        "scheduled_later": _RESPONSES[2],
        "closed_without_action": _RESPONSES[3],
        "not_city_responsibility": _RESPONSES[4],
        "closed": _RESPONSES[0],
    }[outcome]
    if lang == "sv":
        response = _RESPONSES[5]
    add("feedback.response_given", responded, {"text": response, "responding_unit": unit}, 2, "response")
    if rng.random() < 0.05:
        return out  # answered, not yet closed
    closed = responded + timedelta(hours=rng.uniform(0.1, 72))
    add("feedback.status_changed", closed, {"state": outcome}, 3, "closed")
    if rng.random() < 0.35:
        add(
            "feedback.rating",
            closed + timedelta(hours=rng.uniform(1, 48)),
            {
                "score": rng.choices(
                    (1, 2, 3, 4, 5), (6, 9, 20, 35, 30) if outcome == "resolved" else (22, 23, 25, 18, 12)
                )[0],
                "scale_min": 1,
                "scale_max": 5,
            },
            4,
            "rating",
        )
    if rng.random() < 0.05:
        again = closed + timedelta(days=rng.uniform(1, 20))
        add(
            "feedback.recontacted", again, {"text": "Asia ei ole vieläkään kunnossa.", "channel": "web"}, 5, "recontact"
        )
        add(
            "feedback.status_changed",
            again + timedelta(hours=2),
            {"state": "in_process", "note": "Avattu uudelleen"},
            6,
            "reopened",
        )
        add("feedback.status_changed", again + timedelta(days=rng.uniform(1, 10)), {"state": "resolved"}, 7, "reclosed")
    return out


def _case(rng: random.Random, i: int, opened: datetime, end: datetime) -> list[tuple[datetime, dict[str, Any]]]:
    code = rng.choice(("210", "220", "320", "330", "510"))
    area = _area(rng)
    point = f"{SERVICES[code][0]} {area}"
    channel = rng.choice(("verkko", "puhelin", "käynti"))
    subject = f"case-{i:07d}"
    base = {"service_code": code, "service_point": point, "channel": channel, "area": area}
    events = [
        (
            opened,
            make_event(
                "service.case_opened", subject, opened, base, source=SOURCE_SERVICE, event_id=f"{subject}:opened"
            ),
        )
    ]
    waiting = rng.lognormvariate(2.2 if code != "510" else 3.6, 0.6)
    closed = opened + timedelta(days=waiting + rng.uniform(0.1, 3))
    if closed <= end:
        payload = {
            **base,
            "waiting_days": round(waiting, 1),
            "handling_hours": round(rng.uniform(0.5, 12), 1),
            "outcome": rng.choices(("palveltu", "ohjattu muualle", "peruttu"), (85, 10, 5))[0],
        }
        events.append(
            (
                closed,
                make_event(
                    "service.case_closed",
                    subject,
                    closed,
                    payload,
                    source=SOURCE_SERVICE,
                    event_id=f"{subject}:closed",
                    sequence=1,
                ),
            )
        )
    return events


def _survey(rng: random.Random, i: int, at: datetime) -> tuple[datetime, dict[str, Any]]:
    code = rng.choice(list(SERVICES))
    school = code in ("220",)
    low, high = (4, 10) if school else (1, 5)
    score = min(high, max(low, round(rng.gauss(high - (high - low) * 0.3, (high - low) * 0.22))))
    payload = {
        "service_code": code,
        "area": _area(rng),
        "score": score,
        "scale_min": low,
        "scale_max": high,
        "question": "Kuinka tyytyväinen olit palveluun?",
    }
    return at, make_event(
        "service.survey_response", f"survey-{i:07d}", at, payload, source=SOURCE_SERVICE, event_id=f"survey-{i:07d}"
    )


def _outcomes(rng: random.Random, end: datetime, months: int = 24) -> list[tuple[datetime, dict[str, Any]]]:
    out = []
    for code, (name, unit, direction, _, start_value, _) in OUTCOMES.items():
        for area in AREAS:
            level = start_value + rng.uniform(-4, 4)
            for m in range(months):
                month = (end - timedelta(days=30 * (months - m))).strftime("%Y-%m")
                level = min(99.0, level + rng.uniform(-1.0, 1.6))
                reported = datetime.strptime(month + "-28", "%Y-%m-%d").replace(tzinfo=UTC) + timedelta(days=5)
                subject = f"outcome-{code}-{area}-{month}"
                payload = {
                    "indicator_code": code,
                    "name": name,
                    "value": round(level, 1),
                    "unit": unit,
                    "period": month,
                    "area": area,
                    "sample_size": rng.randrange(40, 400),
                    "direction": direction,
                }
                out.append(
                    (
                        reported,
                        make_event(
                            "service.outcome_measured",
                            subject,
                            reported,
                            payload,
                            source=SOURCE_SERVICE,
                            event_id=subject,
                        ),
                    )
                )
    return out


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)} ({rng.choice(_COUNCIL_GROUPS)})"


def _governance(rng: random.Random, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
    src = SOURCE_GOVERNANCE
    month = start.replace(day=1) + timedelta(days=32)
    month = month.replace(day=1)
    decision_no = 0
    targets_set = False
    while month < end:
        for key, body in BODIES.items():
            meeting_at = month.replace(day=8 + list(BODIES).index(key) * 2, hour=15)
            if meeting_at >= end:
                continue
            meeting_id = f"{key}-{meeting_at:%Y-%m}"
            yield make_event(
                "governance.meeting_held",
                meeting_id,
                meeting_at,
                {
                    "body": body,
                    "title": f"{body}, kokous {meeting_at:%-d.%-m.%Y}",
                    "location": "Espoon kaupungintalo",
                    "agenda": [],
                },
                source=src,
                event_id=meeting_id,
            )
            for section in range(1, rng.randrange(2, 5)):
                decision_no += 1
                services = [c for c, s in SERVICES.items() if s[5] == body][:2]
                decision_id = f"dec-{decision_no:05d}"
                case_id = f"ESP/{meeting_at.year}/{1000 + decision_no}"
                title = rng.choice(
                    (
                        "Talousarvion toteutuminen",
                        "Palveluverkkoselvitys",
                        "Lausunto aloitteesta",
                        "Asiakaspalautteen käsittely",
                        "Hankinta",
                        "Toimintasuunnitelma",
                    )
                )
                yield make_event(
                    "governance.decision_made",
                    decision_id,
                    meeting_at + timedelta(minutes=section * 20),
                    {
                        "body": body,
                        "case_id": case_id,
                        "section": f"§ {section}",
                        "title": f"{title}: {SERVICES[services[0]][0] if services else body}",
                        "text": f"{body} päätti hyväksyä esityksen. Asia koskee palvelua "
                        f"{', '.join(SERVICES[s][0] for s in services) or 'kaupunkia'}.",
                        "meeting_id": meeting_id,
                        "services": services,
                        "indicators": [],
                    },
                    source=src,
                    event_id=decision_id,
                    sequence=section,
                )
        if not targets_set:
            targets_set = True
            yield from _targets(month.replace(day=9, hour=16), month.date(), src)
        month = (month + timedelta(days=32)).replace(day=1)
    yield from _initiatives(rng, start, end, src)


def _targets(at: datetime, valid_from: date, src: str) -> Iterator[dict[str, Any]]:
    board = BODIES["hallitus"]
    targets = [
        ("feedback_response_time_median", 48.0, None, board),
        ("feedback_response_time_p90", 240.0, None, board),
        ("feedback_answered_on_time", 80.0, None, board),
        ("feedback_closed_share", 90.0, None, board),
        ("feedback_reopened_share", 5.0, None, board),
        ("resident_satisfaction", 70.0, None, board),
        ("service_waiting_time", 14.0, None, board),
        ("service_waiting_time", 30.0, "510", BODIES["kaupunkisuunnittelu"]),
        ("feedback_response_time_median", 72.0, "210", BODIES["kasvu"]),
    ] + [(code, spec[5], None, BODIES[spec[3]]) for code, spec in OUTCOMES.items()]
    for n, (code, value, service, body) in enumerate(targets, start=1):
        decision_id = f"target-dec-{n:03d}"
        yield make_event(
            "governance.decision_made",
            decision_id,
            at + timedelta(minutes=n),
            {
                "body": body,
                "case_id": f"ESP/{at.year}/0{n:03d}",
                "section": f"§ {40 + n}",
                "title": f"Tavoitetaso mittarille {code}",
                "text": f"{body} asetti mittarin {code} tavoitetasoksi {value:g}.",
                "services": [service] if service else [],
                "indicators": [code],
            },
            source=src,
            event_id=decision_id,
        )
        yield make_event(
            "governance.indicator_target_set",
            f"target-{code}-{service or 'city'}",
            at + timedelta(minutes=n),
            {
                "indicator_code": code,
                "target_value": value,
                "valid_from": valid_from.isoformat(),
                "valid_to": None,
                "service_code": service,
                "body": body,
                "case_id": f"ESP/{at.year}/0{n:03d}",
                "decision_id": decision_id,
                "decision_date": at.date().isoformat(),
            },
            source=src,
            event_id=f"target-{n:03d}",
            sequence=1,
        )


def _initiatives(rng: random.Random, start: datetime, end: datetime, src: str) -> Iterator[dict[str, Any]]:
    topics = (
        "Lisää katuvaloja kevyen liikenteen väylille",
        "Koulujen sisäilmaongelmien korjaaminen",
        "Kirjastojen aukioloaikojen pidentäminen",
        "Päiväkotien ryhmäkokojen pienentäminen",
        "Uimahallien maksuttomat vuorot nuorille",
        "Asukaspalautteen vastausajan lyhentäminen",
        "Pyöräteiden talvikunnossapito",
        "Puistojen leikkivälineiden uusiminen",
        "Terveysasemien jonot",
        "Svenskspråkig service i stadens tjänster",
        "Roskaamisen vähentäminen luontoalueilla",
        "Rakennuslupien käsittelyaikojen lyhentäminen",
    )
    span = (end - start).total_seconds()
    for n in range(1, 31):
        at = start + timedelta(seconds=span * (n / 32))
        subject = f"initiative-{n:03d}"
        signers = sorted({_person(rng) for _ in range(rng.randrange(1, 40))})
        title = topics[n % len(topics)]
        yield make_event(
            "governance.initiative_submitted",
            subject,
            at,
            {
                "title": title,
                "text": f"Me allekirjoittaneet valtuutetut esitämme: {title.lower()}.",
                "signatories": signers,
                "first_signatory": signers[0],
                "responsible_body": BODIES["hallitus"],
                "case_id": f"ESP/{at.year}/2{n:03d}",
            },
            source=src,
            event_id=f"{subject}:submitted",
        )
        prepared = at + timedelta(days=rng.uniform(5, 30))
        if prepared < end:
            yield make_event(
                "governance.initiative_status_changed",
                subject,
                prepared,
                {"status": "being_prepared"},
                source=src,
                event_id=f"{subject}:prepared",
                sequence=1,
            )
        answered = at + timedelta(days=rng.uniform(90, 300))
        if answered < end:
            yield make_event(
                "governance.initiative_answered",
                subject,
                answered,
                {
                    "response": "Kaupunginhallitus merkitsi vastauksen tiedoksi ja katsoi aloitteen loppuun "
                    "käsitellyksi. Esitetyt toimet on otettu huomioon toimintasuunnitelmassa.",
                    "responding_body": BODIES["valtuusto"],
                },
                source=src,
                event_id=f"{subject}:answered",
                sequence=2,
            )
    motion_at = end - timedelta(days=45)
    signers = sorted({_person(rng) for _ in range(24)})
    yield make_event(
        "governance.initiative_submitted",
        "initiative-resident-centricity",
        motion_at,
        {
            "title": MOTION_TITLE,
            "text": MOTION_TEXT,
            "signatories": signers,
            "first_signatory": signers[0],
            "responsible_body": BODIES["hallitus"],
            "case_id": f"ESP/{motion_at.year}/3001",
            "indicators": ["feedback_answered_on_time", "resident_satisfaction"],
        },
        source=src,
        event_id="initiative-resident-centricity:submitted",
    )
    yield make_event(
        "governance.initiative_status_changed",
        "initiative-resident-centricity",
        motion_at + timedelta(days=14),
        {"status": "being_prepared", "note": "Valmistelussa konsernihallinnossa"},
        source=src,
        event_id="initiative-resident-centricity:prepared",
        sequence=1,
    )
