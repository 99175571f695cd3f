"""The open-data catalog in DCAT-AP, as JSON-LD: one dataset per indicator.

Built from the indicators and the settings only, with ``modified`` taken from
the data itself (never from the clock), so an unchanged index gives a
byte-identical catalog and republishing changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from core.settings import Settings
from figures.datasets import DEFINITIONS_VERSION
from figures.indicators import Filters, Indicators
from figures.recipe import published_recipe

LICENSES = {
    "CC-BY-4.0": "http://creativecommons.org/licenses/by/4.0/",
    "CC0-1.0": "http://creativecommons.org/publicdomain/zero/1.0/",
}
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}
_EU = "http://publications.europa.eu/resource/authority"


def _lang(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"@language": lang, "@value": text} for lang, text in sorted(values.items())]


def text_in(values: Any, lang: str) -> str:
    """The text of a language-tagged JSON-LD value in one language ('' if it has none)."""
    for item in values or []:
        if item.get("@language") == lang:
            return str(item["@value"])
    return ""


def _agents(settings: Settings) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """What every dataset node shares: the base URL, the licence's URI, the publisher and the contact point."""
    contact = {
        "@type": "vcard:Organization",
        "vcard:fn": settings.publisher_name,
        "vcard:hasEmail": {"@id": f"mailto:{settings.contact_email}"},
    }
    publisher = {"@type": "foaf:Agent", "foaf:name": settings.publisher_name}
    return settings.base_url.rstrip("/"), LICENSES.get(settings.license, settings.license), publisher, contact


def _distributions(api_url: str, license_uri: str) -> list[dict[str, Any]]:
    """A dataset's two distributions: the API answer as CSV (a download) and as JSON."""
    csv_url = f"{api_url}?format=csv"
    return [
        {
            "@id": f"{csv_url}#distribution",
            "@type": "dcat:Distribution",
            "dcat:downloadURL": {"@id": csv_url},
            "dcat:accessURL": {"@id": csv_url},
            "dcat:mediaType": "text/csv",
            "dct:format": {"@id": f"{_EU}/file-type/CSV"},
            "dct:license": {"@id": license_uri},
        },
        {
            "@id": f"{api_url}#api",
            "@type": "dcat:Distribution",
            "dcat:accessURL": {"@id": api_url},
            "dcat:mediaType": "application/json",
            "dct:format": {"@id": f"{_EU}/file-type/JSON"},
            "dct:license": {"@id": license_uri},
        },
    ]


def spatial(settings: Settings) -> dict[str, Any]:
    place = settings.spatial or settings.publisher_name
    if place.startswith(("http://", "https://")):
        return {"@id": place}
    return {"@type": "dct:Location", "rdfs:label": place}


def build_catalog(indicators: Indicators, settings: Settings, *, with_corrections: bool = False) -> dict[str, Any]:
    """The catalog; ``with_corrections`` adds the corrections dataset (:func:`corrections_node`)."""
    base, license_uri, publisher, contact = _agents(settings)
    datasets = []
    for indicator in indicators.definitions():
        series = indicators.series(indicator, Filters())
        periods = [s["period"] for s in series]
        made_by = published_recipe(indicators, indicator)
        dataset: dict[str, Any] = {
            "@id": f"{base}/v1/indicators/{indicator.code}#dataset",
            "@type": "dcat:Dataset",
            "dct:identifier": indicator.code,
            "dct:title": _lang(indicator.name),
            "dct:description": _lang(indicator.definition),
            "dcat:keyword": _lang({"fi": "mittari", "sv": "indikator", "en": "indicator"})
            + _lang({"fi": "asukaslähtöisyys", "sv": "invånarorientering", "en": "resident-centricity"}),
            "dcat:theme": {"@id": f"{_EU}/data-theme/GOVE"},
            "dct:publisher": publisher,
            "dcat:contactPoint": contact,
            "dct:license": {"@id": license_uri},
            "dct:accrualPeriodicity": {"@id": f"{_EU}/frequency/UPDATE_CONT"},
            "dct:spatial": spatial(settings),
            "dct:language": [{"@id": f"{_EU}/language/{code}"} for code in ("FIN", "SWE", "ENG")],
            "dct:provenance": {
                "@type": "dct:ProvenanceStatement",
                "rdfs:label": (
                    f"Computed by Mittari from the event streams {', '.join(indicator.sources)}; "
                    f"indicator definitions version {DEFINITIONS_VERSION}; cells over fewer than "
                    f"{settings.min_cell_count} items withheld, with secondary suppression so that no withheld "
                    "cell can be computed from the published ones. " + _recipe_words(made_by)
                ),
                # the log position the rows were computed at, as data (figures/recipe.py)
                "rdfs:comment": json.dumps(made_by["log_position"], sort_keys=True, separators=(",", ":")),
            },
            "dct:conformsTo": _definition_node(base, made_by["definition"]),
            "dcat:distribution": _distributions(f"{base}/v1/indicators/{indicator.code}", license_uri),
        }
        if periods:
            dataset["dct:temporal"] = {
                "@type": "dct:PeriodOfTime",
                "dcat:startDate": {"@value": periods[0] + "-01", "@type": "xsd:date"},
                "dcat:endDate": {"@value": periods[-1] + "-01", "@type": "xsd:date"},
            }
            dataset["dct:modified"] = {"@value": periods[-1] + "-01", "@type": "xsd:date"}
        datasets.append(dataset)
    if with_corrections:
        datasets.append(corrections_node(settings))
    return {
        "@context": CONTEXT,
        "@id": f"{base}/v1/catalog",
        "@type": "dcat:Catalog",
        "dct:title": _lang({"fi": "Mittarin avoin data", "sv": "Mittaris öppna data", "en": "Mittari open data"}),
        "dct:description": _lang(
            {
                "fi": "Kaupungin palveluiden asukaslähtöisyyden ja vaikuttavuuden mittarit kuukausittain.",
                "sv": "Månatliga indikatorer för invånarorientering och effekt i stadens tjänster.",
                "en": "Monthly indicators of how resident-centred and effective the city's services are.",
            }
        ),
        "dct:publisher": publisher,
        "dct:license": {"@id": license_uri},
        "foaf:homepage": {"@id": base + "/"},
        "dcat:dataset": datasets,
    }


def _definition_node(base: str, definition: dict[str, Any]) -> dict[str, Any]:
    """The definition version the rows were computed by, with the hash of its content."""
    return {
        "@id": f"{base}/v1/indicators/{definition['id']}#definition-v{definition['version']}",
        "@type": "dct:Standard",
        "dct:identifier": f"sha256:{definition['sha256']}",
        "owl:versionInfo": str(definition["version"]),
    }


def _recipe_words(made_by: dict[str, Any]) -> str:
    """The recipe in words for the provenance statement: definition version and hash, and the log position."""
    definition = made_by["definition"]
    streams = "; ".join(
        f"{stream}: {p['events']} events to offset {p['offset']}, newest {p['newest_event_at'] or '-'}"
        for stream, p in made_by["log_position"].items()
    )
    return (
        f"Definition {definition['id']} version {definition['version']} (sha256 {definition['sha256']}); "
        f"computed at log position {streams or 'none recorded'}."
    )


def corrections_node(settings: Settings) -> dict[str, Any]:
    """The corrections dataset's DCAT-AP node (figures/corrections_dataset.py): no ``modified`` from the clock,
    so an unchanged history gives a byte-identical catalog."""
    base, license_uri, publisher, contact = _agents(settings)
    return {
        "@id": f"{base}/v1/corrections#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": "corrections",
        "dct:title": _lang({"fi": "Korjatut luvut", "sv": "Rättade siffror", "en": "Corrected figures"}),
        "dct:description": _lang(
            {
                "fi": "Jokainen jo lopulliseksi julkaistu luku, joka on myöhemmin muuttunut: vanha ja uusi arvo, "
                "milloin ja miksi (myöhästyneet tai korjatut tiedot, poistetut tapaukset, määritelmän muutos).",
                "sv": "Varje siffra som publicerats som slutlig och senare ändrats: gammalt och nytt värde, när och "
                "varför (sena eller rättade uppgifter, borttagna fall, ändrad definition).",
                "en": "Every figure published as final that changed later: old and new value, when and why (late "
                "or corrected records, items removed, a definition change).",
            }
        ),
        "dcat:keyword": _lang({"fi": "korjaus", "sv": "rättelse", "en": "correction"})
        + _lang({"fi": "mittari", "sv": "indikator", "en": "indicator"}),
        "dcat:theme": {"@id": f"{_EU}/data-theme/GOVE"},
        "dct:publisher": publisher,
        "dcat:contactPoint": contact,
        "dct:license": {"@id": license_uri},
        "dct:accrualPeriodicity": {"@id": f"{_EU}/frequency/UPDATE_CONT"},
        "dct:spatial": spatial(settings),
        "dct:language": [{"@id": f"{_EU}/language/{code}"} for code in ("FIN", "SWE", "ENG")],
        "dct:provenance": {
            "@type": "dct:ProvenanceStatement",
            "rdfs:label": (
                "Recorded by Mittari in its append-only history of published values: a correction is recorded when "
                "a value published as final changes; the reasons are counts, never ids."
            ),
        },
        "dcat:distribution": _distributions(f"{base}/v1/corrections", license_uri),
    }
