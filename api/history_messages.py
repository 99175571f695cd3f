"""Page texts of the history's outputs (corrections page and feed, ``as_of`` notices, citations, the report as
published), in fi/sv/en; api/i18n.py adds them to its catalogue, so the same language checks cover them."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "nav_corrections": {"fi": "Korjatut luvut", "sv": "Rättade siffror", "en": "Corrections"},
    "corrections_title": {"fi": "Korjatut luvut", "sv": "Rättade siffror", "en": "Corrected figures"},
    "corrections_intro": {
        "fi": "Kun jo lopulliseksi julkaistu luku muuttuu – myöhästyneiden tai korjattujen tietojen, poistettujen "
        "tapausten tai uuden määritelmän vuoksi – muutos kirjataan tähän. Alustavat kuukaudet muuttuvat "
        "suunnitellusti eivätkä ole korjauksia. Uusin ensin.",
        "sv": "När en siffra som redan publicerats som slutlig ändras – på grund av sena eller rättade uppgifter, "
        "borttagna fall eller en ny definition – förs ändringen in här. Preliminära månader ändras som planerat "
        "och är inga rättelser. Nyaste först.",
        "en": "When a figure already published as final changes – late or corrected records, items removed or a "
        "new definition – the change is listed here. Provisional months move by design and are not corrections. "
        "Newest first.",
    },
    "corrections_caption": {
        "fi": "Korjatut luvut, uusin ensin ({n} kpl)",
        "sv": "Rättade siffror, nyaste först ({n} st.)",
        "en": "Corrected figures, newest first ({n})",
    },
    "corrections_none": {
        "fi": "Yhtään lopullista lukua ei ole korjattu.",
        "sv": "Ingen slutlig siffra har rättats.",
        "en": "No final figure has been corrected.",
    },
    "filter_indicator": {"fi": "Mittari", "sv": "Indikator", "en": "Indicator"},
    "all_indicators": {"fi": "Kaikki mittarit", "sv": "Alla indikatorer", "en": "All indicators"},
    "col_cell": {"fi": "Kuukausi ja rajaus", "sv": "Månad och avgränsning", "en": "Month and scope"},
    "col_old_new": {"fi": "Vanha → uusi", "sv": "Gammal → ny", "en": "Old → new"},
    "col_first_published": {"fi": "Julkaistu", "sv": "Publicerad", "en": "First published"},
    "col_restated": {"fi": "Korjattu", "sv": "Rättad", "en": "Restated"},
    "col_why": {"fi": "Miksi", "sv": "Varför", "en": "Why"},
    "scope_service": {"fi": "palvelu {name}", "sv": "tjänst {name}", "en": "service {name}"},
    "scope_area": {"fi": "alue {name}", "sv": "område {name}", "en": "area {name}"},
    "page_of": {"fi": "Sivu {page} / {pages}", "sv": "Sida {page} av {pages}", "en": "Page {page} of {pages}"},
    "previous_page": {"fi": "Edellinen sivu", "sv": "Föregående sida", "en": "Previous page"},
    "next_page": {"fi": "Seuraava sivu", "sv": "Nästa sida", "en": "Next page"},
    "paging_label": {"fi": "Sivutus", "sv": "Sidor", "en": "Pages"},
    "feed_corrections": {"fi": "Korjatut luvut", "sv": "Rättade siffror", "en": "Corrected figures"},
    "feed_correction_title": {
        "fi": "{name}, {period}{scope}: {old} → {new}",
        "sv": "{name}, {period}{scope}: {old} → {new}",
        "en": "{name}, {period}{scope}: {old} → {new}",
    },
    "feed_correction_text": {
        "fi": "Julkaistu {first}, korjattu {restated}. Syy: {why}.",
        "sv": "Publicerad {first}, rättad {restated}. Orsak: {why}.",
        "en": "Published {first}, restated {restated}. Why: {why}.",
    },
    "indicator_corrections": {
        "fi": "Tämän mittarin korjatut luvut ({n})",
        "sv": "Rättade siffror för denna indikator ({n})",
        "en": "This indicator's corrections ({n})",
    },
    "withheld_short": {"fi": "ei julkaistu", "sv": "ej publicerat", "en": "withheld"},
    "absent_short": {"fi": "ei arvoa", "sv": "inget värde", "en": "no value"},
    # as_of
    "as_of_notice": {
        "fi": "Luvut sellaisina kuin ne julkaistiin {when}.",
        "sv": "Siffrorna som de publicerades {when}.",
        "en": "Figures as published on {when}.",
    },
    "as_of_today": {"fi": "Katso tämän päivän luvut", "sv": "Se dagens siffror", "en": "See today's figures"},
    "as_of_not_kept": {
        "fi": "Historiaan tallennetaan kuukausiluvut; tavoitteita ja koko jakson lukuja ei tallenneta.",
        "sv": "Historiken sparar månadssiffror; mål och siffror för hela perioden sparas inte.",
        "en": "The history keeps monthly figures; targets and whole-period figures are not kept.",
    },
    "at_time": {"fi": "{day} klo {time}", "sv": "{day} kl. {time}", "en": "{day}, {time}"},
    # citations
    "cite_title": {"fi": "Viittaa tähän lukuun", "sv": "Hänvisa till siffran", "en": "Cite this figure"},
    "cite_intro": {
        "fi": "Teksti ja osoite näyttävät saman luvun myöhemminkin, vaikka luku korjattaisiin.",
        "sv": "Texten och adressen visar samma siffra senare, även om siffran rättas.",
        "en": "The text and the address show this same figure later, even if it is corrected.",
    },
    "cite_text": {"fi": "Viittausteksti", "sv": "Hänvisningstext", "en": "Citation text"},
    "cite_page": {"fi": "Pysyvä osoite (sivu)", "sv": "Permanent adress (sida)", "en": "Permanent address (page)"},
    "cite_api": {"fi": "Pysyvä osoite (rajapinta)", "sv": "Permanent adress (API)", "en": "Permanent address (API)"},
    "cite_not_yet": {
        "fi": "Tähän lukuun ei voi vielä viitata: julkaisuhistoria ei ole vielä tallentanut sitä. Viittaus tulee "
        "näkyviin seuraavan tallennuksen jälkeen.",
        "sv": "Det går ännu inte att hänvisa till siffran: publiceringshistoriken har inte sparat den än. "
        "Hänvisningen visas efter nästa sparning.",
        "en": "This figure cannot be cited yet: the publication history has not recorded it. A citation appears "
        "after the next recording.",
    },
    # the report as published
    "report_as_published": {
        "fi": "Raportti näyttää luvut sellaisina kuin ne julkaistiin {when} ({rule}); myöhemmät korjaukset eivät "
        "muuta sitä.",
        "sv": "Rapporten visar siffrorna som de publicerades {when} ({rule}); senare rättelser ändrar den inte.",
        "en": "The report shows the figures as published on {when} ({rule}); later corrections do not change it.",
    },
    "report_rule_month_end": {
        "fi": "seuraavan kuukauden lopussa",
        "sv": "i slutet av följande månad",
        "en": "at the end of the following month",
    },
    "report_rule_as_of": {"fi": "pyydetty hetki", "sv": "begärd tidpunkt", "en": "the moment asked for"},
    "report_live": {
        "fi": "Jakso on vielä kesken tai sitä ei ole tallennettu historiaan: raportti näyttää tämän päivän luvut.",
        "sv": "Perioden pågår ännu eller har inte sparats i historiken: rapporten visar dagens siffror.",
        "en": "The period is not closed yet or was not recorded in the history: the report shows today's figures.",
    },
}
