"""The public pages in Finnish, Swedish and English: the message catalogue and locale formats.

Messages live here as data, one entry per key with all three languages, so a test can
check that no page text is missing a language (tests/api/test_i18n.py). Numbers, months
and dates are formatted by Babel with each language's conventions (``12,5`` in Finnish and
Swedish, ``12.5`` in English). Finnish is the default; the language is the first path
segment (``/fi/``, ``/sv/``, ``/en/``) so every page has a stable, shareable address.
"""

from __future__ import annotations

import functools
import math
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol

from api.history_messages import MESSAGES as HISTORY_MESSAGES

LANGUAGES = ("fi", "sv", "en")
DEFAULT = "fi"
NATIVE = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}

MESSAGES: dict[str, dict[str, str]] = {
    "site_tagline": {
        "fi": "Avoimet, tarkistettavat luvut siitä, miten kaupunki palvelee asukkaitaan.",
        "sv": "Öppna, kontrollerbara siffror om hur staden betjänar sina invånare.",
        "en": "Open, verifiable figures on how the city serves its residents.",
    },
    "skip": {"fi": "Siirry sisältöön", "sv": "Hoppa till innehållet", "en": "Skip to content"},
    "nav_label": {"fi": "Päävalikko", "sv": "Huvudmeny", "en": "Main menu"},
    "lang_label": {"fi": "Kieli", "sv": "Språk", "en": "Language"},
    "nav_overview": {"fi": "Yleiskuva", "sv": "Översikt", "en": "Overview"},
    "nav_services": {"fi": "Palvelut", "sv": "Tjänster", "en": "Services"},
    "nav_feedback": {"fi": "Palautteet", "sv": "Respons", "en": "Feedback"},
    "nav_initiatives": {"fi": "Aloitteet", "sv": "Motioner", "en": "Initiatives"},
    "nav_decisions": {"fi": "Päätökset", "sv": "Beslut", "en": "Decisions"},
    "nav_report": {"fi": "Kokousraportti", "sv": "Mötesrapport", "en": "Meeting report"},
    "nav_feeds": {"fi": "Syötteet", "sv": "Flöden", "en": "Feeds"},
    "nav_api": {"fi": "Rajapinta", "sv": "API", "en": "API"},
    "nav_data": {"fi": "Avoin data", "sv": "Öppna data", "en": "Open data"},
    "footer": {
        "fi": "Luvut lasketaan kaupungin tapahtumavirroista. Alle {n} tapauksen luvut jätetään julkaisematta.",
        "sv": "Siffrorna räknas ur stadens händelseflöden. Siffror som bygger på färre än {n} fall publiceras inte.",
        "en": "Figures are computed from the city's event streams. Figures resting on fewer than {n} items are withheld.",
    },
    "licence": {
        "fi": "Aineisto on avointa: CC BY 4.0.",
        "sv": "Materialet är öppet: CC BY 4.0.",
        "en": "The data is open: CC BY 4.0.",
    },
    # overview
    "overview_title": {"fi": "Miten kaupunki palvelee?", "sv": "Hur betjänar staden?", "en": "How is the city doing?"},
    "score_title": {"fi": "Kokonaispisteet", "sv": "Sammanlagt betyg", "en": "Overall score"},
    "score_explained": {
        "fi": "1,00 tarkoittaa, että mittarit ovat keskimäärin tavoitteessa; yli 1 parempi, alle 1 huonompi.",
        "sv": "1,00 betyder att indikatorerna i genomsnitt når sina mål; över 1 bättre, under 1 sämre.",
        "en": "1.00 means indicators are on target on average; above 1 is better, below 1 is worse.",
    },
    "score_based_on": {
        "fi": "{k} mittaria, joilla on tavoite ja arvo; {n} tapausta.",
        "sv": "{k} indikatorer med mål och värde; {n} fall.",
        "en": "{k} indicators with a target and a value; {n} items.",
    },
    "score_effect_share": {
        "fi": "Mittareista {share} mittaa vaikuttavuutta tai asukaskokemusta, loput panoksia ja tuotoksia.",
        "sv": "Av indikatorerna mäter {share} effekt eller invånarupplevelse, resten insatser och prestationer.",
        "en": "Of these, {share} measure outcomes or resident experience; the rest measure inputs and outputs.",
    },
    "score_method_title": {
        "fi": "Näin pisteet lasketaan",
        "sv": "Så räknas betyget",
        "en": "How the score is computed",
    },
    "score_method": {
        "fi": "Jokaiselle mittarille lasketaan suhdeluku arvo ÷ tavoite (tai tavoite ÷ arvo, kun pienempi on parempi). Suhdeluku rajataan enintään arvoon {cap}, jotta yksi erinomainen mittari ei peitä muita. Pisteet ovat suhdelukujen painottamaton keskiarvo. Mittarit ilman tavoitetta tai julkaistavaa arvoa jätetään pois.",
        "sv": "För varje indikator räknas kvoten värde ÷ mål (eller mål ÷ värde när lägre är bättre). Kvoten begränsas till högst {cap}, så att en enda utmärkt indikator inte döljer de andra. Betyget är det oviktade medelvärdet av kvoterna. Indikatorer utan mål eller publicerbart värde lämnas utanför.",
        "en": "Each indicator gets the ratio value ÷ target (or target ÷ value where lower is better). Each ratio is capped at {cap} so that one excellent indicator cannot hide the others. The score is the unweighted mean of the ratios. Indicators without a target or a publishable value are left out.",
    },
    "ratios_caption": {"fi": "Suhdeluvut mittareittain", "sv": "Kvoter per indikator", "en": "Ratios by indicator"},
    "worst_title": {"fi": "Kauimpana tavoitteesta", "sv": "Längst från målet", "en": "Furthest from target"},
    "left_out": {"fi": "Ei mukana pisteissä", "sv": "Inte med i betyget", "en": "Not in the score"},
    "reason_no_target": {"fi": "ei tavoitetta", "sv": "inget mål", "en": "no target"},
    "reason_no_value": {"fi": "ei julkaistavaa arvoa", "sv": "inget publicerbart värde", "en": "no publishable value"},
    "reason_no_ratio": {"fi": "suhdelukua ei voi laskea", "sv": "kvoten kan inte räknas", "en": "no meaningful ratio"},
    "reason_only_provisional": {
        "fi": "vain ennakkotietoja (ei vielä lopullista kuukautta)",
        "sv": "bara preliminära värden (ingen slutlig månad ännu)",
        "en": "provisional months only (no final month yet)",
    },
    # provisional values (figures/provisional.py)
    "provisional_mark": {"fi": "ennakkotieto", "sv": "preliminärt", "en": "provisional"},
    "final_on": {"fi": "lopullinen {date}", "sv": "slutligt {date}", "en": "final on {date}"},
    "provisional_note": {
        "fi": "Ennakkotieto: kuukauden palautteet ja asiat voivat vielä edetä, joten arvo voi muuttua itsestään. {rule}",
        "sv": "Preliminärt: månadens responser och ärenden kan ännu gå vidare, så värdet kan ändras av sig självt. {rule}",
        "en": "Provisional: the month's items may still move on, so the value can change by itself. {rule}",
    },
    "score_basis_final": {
        "fi": "Pisteet ja järjestys lasketaan kunkin mittarin viimeisimmästä lopullisesta kuukaudesta; "
        "ennakkotiedot jätetään pois.",
        "sv": "Betyget och ordningen räknas på varje indikators senaste slutliga månad; preliminära värden "
        "lämnas utanför.",
        "en": "The score and the ranking use each indicator's latest final month; provisional months are left out.",
    },
    "score_basis_include": {
        "fi": "Pisteissä ja järjestyksessä ovat mukana myös ennakkotiedot (merkitty).",
        "sv": "Betyget och ordningen omfattar även preliminära värden (markerade).",
        "en": "The score and the ranking include provisional months (marked).",
    },
    "score_include_link": {
        "fi": "Ota ennakkotiedot mukaan",
        "sv": "Ta med preliminära värden",
        "en": "Include provisional months",
    },
    "score_final_link": {
        "fi": "Vain lopulliset kuukaudet",
        "sv": "Bara slutliga månader",
        "en": "Final months only",
    },
    "legend_provisional": {
        "fi": "Ennakkotieto (ontto piste, katkoviiva)",
        "sv": "Preliminärt (ihålig punkt, streckad linje)",
        "en": "Provisional (hollow dot, dotted line)",
    },
    "chart_provisional_alt": {
        "fi": "Ennakkotietoja: {months}.",
        "sv": "Preliminära värden: {months}.",
        "en": "Provisional: {months}.",
    },
    "tiles_title": {"fi": "Mittarit", "sv": "Indikatorer", "en": "Indicators"},
    "col_indicator": {"fi": "Mittari", "sv": "Indikator", "en": "Indicator"},
    "col_class": {"fi": "Luokka", "sv": "Klass", "en": "Class"},
    "col_value": {"fi": "Arvo", "sv": "Värde", "en": "Value"},
    "col_target": {"fi": "Tavoite", "sv": "Mål", "en": "Target"},
    "col_ratio": {"fi": "Suhdeluku", "sv": "Kvot", "en": "Ratio"},
    "col_capped": {"fi": "Rajattu", "sv": "Begränsad", "en": "Capped"},
    "col_month": {"fi": "Kuukausi", "sv": "Månad", "en": "Month"},
    "col_n": {"fi": "Tapauksia", "sv": "Fall", "en": "Items"},
    "col_status": {"fi": "Tila", "sv": "Läge", "en": "Status"},
    "col_service": {"fi": "Palvelu", "sv": "Tjänst", "en": "Service"},
    "col_area": {"fi": "Alue", "sv": "Område", "en": "Area"},
    "col_trend": {"fi": "Suunta", "sv": "Trend", "en": "Trend"},
    "col_title": {"fi": "Otsikko", "sv": "Rubrik", "en": "Title"},
    "col_date": {"fi": "Päivä", "sv": "Datum", "en": "Date"},
    "col_body": {"fi": "Toimielin", "sv": "Organ", "en": "Body"},
    "col_waited": {"fi": "Odottanut", "sv": "Väntat", "en": "Waited"},
    "col_count": {"fi": "Määrä", "sv": "Antal", "en": "Count"},
    "col_hours": {"fi": "Vastausaika", "sv": "Svarstid", "en": "Response time"},
    "status_met": {"fi": "Tavoitteessa", "sv": "Målet nått", "en": "On target"},
    "status_not_met": {"fi": "Ei tavoitteessa", "sv": "Målet inte nått", "en": "Off target"},
    "status_no_target": {"fi": "Ei tavoitetta", "sv": "Inget mål", "en": "No target"},
    "status_no_value": {"fi": "Ei arvoa", "sv": "Inget värde", "en": "No value"},
    "current_month": {"fi": "Viimeisin kuukausi", "sv": "Senaste månaden", "en": "Latest month"},
    "trend_12": {"fi": "12 kuukauden kehitys", "sv": "Utveckling över 12 månader", "en": "12-month trend"},
    "show_table": {
        "fi": "Näytä luvut taulukkona",
        "sv": "Visa siffrorna som tabell",
        "en": "Show the figures as a table",
    },
    "withheld": {"fi": "ei julkaista (alle {n})", "sv": "publiceras inte (under {n})", "en": "withheld (under {n})"},
    "withheld_companion": {
        "fi": "ei julkaista (suojaa pientä lukua)",
        "sv": "publiceras inte (skyddar ett litet tal)",
        "en": "withheld (protects a small figure)",
    },
    "disclosure_items_public": {
        "fi": "Tämän mittarin taustalla olevat palautteet ovat julkisia yksitellen palautehaussa, joten niiden "
        "määrät eivät ole salaisia. Taulukoista jätetään silti pois alle {n} palautteen luvut ja luvut, joista "
        "sellaisen voisi laskea, jotta kaikki julkaistut luvut noudattavat samaa sääntöä.",
        "sv": "Responsen bakom denna indikator är offentlig en och en i responssökningen, så antalen är inte "
        "hemliga. Tabellerna utelämnar ändå tal som bygger på färre än {n} responser och tal ur vilka ett "
        "sådant kunde räknas fram, så att alla publicerade tal följer samma regel.",
        "en": "The feedback items behind this indicator are public one by one in the feedback search, so their "
        "counts are no secret. The tables still leave out figures resting on fewer than {n} items, and figures "
        "from which such a one could be computed, so that every published figure follows the same rule.",
    },
    "disclosure_aggregate": {
        "fi": "Tämän mittarin taustalla olevia yksittäisiä tietoja ei julkaista. Alle {n} tiedon varassa olevia "
        "lukuja ei julkaista, eikä myöskään lukuja, joista sellaisen voisi laskea muista julkaistuista luvuista.",
        "sv": "De enskilda uppgifterna bakom denna indikator publiceras inte. Tal som bygger på färre än {n} "
        "uppgifter publiceras inte, och inte heller tal ur vilka ett sådant kunde räknas fram ur de andra.",
        "en": "The individual records behind this indicator are not published. Figures resting on fewer than {n} "
        "records are withheld, and so are figures from which such a one could be computed from the others.",
    },
    "no_data": {"fi": "Ei tietoja.", "sv": "Inga uppgifter.", "en": "No data."},
    "per_class": {"fi": "Mittareita luokittain", "sv": "Indikatorer per klass", "en": "Indicators by class"},
    # charts
    "chart_series_alt": {
        "fi": "Kuukausiarvot {first}–{last}: alin {min}, ylin {max}, viimeisin {latest} {unit}.",
        "sv": "Månadsvärden {first}–{last}: lägst {min}, högst {max}, senast {latest} {unit}.",
        "en": "Monthly values {first}–{last}: lowest {min}, highest {max}, latest {latest} {unit}.",
    },
    "chart_target_alt": {
        "fi": "Tavoite {target} {unit}.",
        "sv": "Målet är {target} {unit}.",
        "en": "Target {target} {unit}.",
    },
    "chart_no_target": {"fi": "Ei tavoitetta.", "sv": "Inget mål.", "en": "No target."},
    "legend_value": {"fi": "Arvo", "sv": "Värde", "en": "Value"},
    "legend_target": {"fi": "Tavoite", "sv": "Mål", "en": "Target"},
    "chart_hist_alt": {
        "fi": "Ensimmäisen vastauksen aika {total} vastatussa palautteessa, jaoteltuna aikaväleihin.",
        "sv": "Tid till första svar för {total} besvarade responser, fördelad på tidsintervall.",
        "en": "Time to first response for {total} answered feedback items, in bands of hours.",
    },
    "hours_band": {"fi": "{a}–{b} h", "sv": "{a}–{b} h", "en": "{a}–{b} h"},
    "hours_over": {"fi": "yli {a} h", "sv": "över {a} h", "en": "over {a} h"},
    # indicator page
    "method": {"fi": "Miten se lasketaan", "sv": "Hur den räknas", "en": "How it is computed"},
    "target_set_by": {
        "fi": "Tavoitteen asetti {body} {date}.",
        "sv": "Målet fastställdes av {body} {date}.",
        "en": "The target was set by {body} on {date}.",
    },
    "target_case": {"fi": "Asia {case}.", "sv": "Ärende {case}.", "en": "Case {case}."},
    "no_target_set": {
        "fi": "Valtuusto tai lautakunta ei ole asettanut tälle mittarille tavoitetta.",
        "sv": "Fullmäktige eller en nämnd har inte satt något mål för denna indikator.",
        "en": "No council or committee has set a target for this indicator.",
    },
    "monthly_chart": {"fi": "Kuukausittain", "sv": "Per månad", "en": "By month"},
    "by_service": {"fi": "Palveluittain", "sv": "Per tjänst", "en": "By service"},
    "by_area": {"fi": "Alueittain", "sv": "Per område", "en": "By area"},
    "whole_period": {"fi": "koko ajalta", "sv": "hela perioden", "en": "whole period"},
    "open_data": {
        "fi": "Samat luvut avoimena datana",
        "sv": "Samma siffror som öppna data",
        "en": "The same figures as open data",
    },
    "download_csv": {"fi": "Lataa CSV", "sv": "Ladda ner CSV", "en": "Download CSV"},
    "api_call": {
        "fi": "Rajapintakutsu, joka palauttaa samat luvut",
        "sv": "API-anrop som ger samma siffror",
        "en": "The API call that returns the same numbers",
    },
    # the recipe of the figures (figures/recipe.py) and each month's explanation (/v1/indicators/<code>/cells)
    "recipe_h": {"fi": "Lukujen resepti", "sv": "Siffrornas recept", "en": "Recipe of these figures"},
    "recipe_intro": {
        "fi": "Näillä tiedoilla jokainen luku voidaan laskea uudelleen ja tunnistaa myöhemmin.",
        "sv": "Med de här uppgifterna kan varje siffra räknas om och kännas igen senare.",
        "en": "With these, every figure can be recomputed and recognised later.",
    },
    "recipe_definition": {
        "fi": "Määritelmä {code}, versio {version}",
        "sv": "Definition {code}, version {version}",
        "en": "Definition {code}, version {version}",
    },
    "recipe_sha": {
        "fi": "Määritelmän tiiviste (SHA-256)",
        "sv": "Definitionens hash (SHA-256)",
        "en": "Hash of the definition (SHA-256)",
    },
    "recipe_parameters": {
        "fi": "Aikavyöhyke {timezone}, vastausaikatavoite {hours} h, pienin julkaistava solu {n}",
        "sv": "Tidszon {timezone}, svarstidsmål {hours} h, minsta publicerade cell {n}",
        "en": "Time zone {timezone}, response target {hours} h, smallest published cell {n}",
    },
    "recipe_log_position": {
        "fi": "Tapahtumalokin kohta, johon asti luvut on laskettu",
        "sv": "Händelseloggens position som siffrorna räknats fram till",
        "en": "Event log position the figures were computed at",
    },
    "recipe_stream": {
        "fi": "{stream}: {events} tapahtumaa, kohta {offset}, uusin {newest}",
        "sv": "{stream}: {events} händelser, position {offset}, senaste {newest}",
        "en": "{stream}: {events} events, offset {offset}, newest {newest}",
    },
    "recipe_no_position": {
        "fi": "Lokin kohtaa ei ole vielä kirjattu.",
        "sv": "Ingen loggposition har registrerats ännu.",
        "en": "No log position recorded yet.",
    },
    "recipe_computed_at": {"fi": "Laskettu {when}", "sv": "Beräknad {when}", "en": "Computed {when}"},
    "col_inputs": {"fi": "Lähtötiedot", "sv": "Indata", "en": "Inputs"},
    "explain_cell": {"fi": "Mistä luku koostuu", "sv": "Vad siffran bygger på", "en": "What it rests on"},
    "on_portal": {
        "fi": "Aineisto avoimen datan portaalissa",
        "sv": "Datamängden i portalen för öppna data",
        "en": "The dataset on the open data portal",
    },
    "related_decisions": {
        "fi": "Mittariin liittyvät päätökset",
        "sv": "Beslut som gäller indikatorn",
        "en": "Decisions about this indicator",
    },
    "filter_service": {"fi": "Palvelu", "sv": "Tjänst", "en": "Service"},
    "all_services": {"fi": "Kaikki palvelut", "sv": "Alla tjänster", "en": "All services"},
    "unit_h": {"fi": "h", "sv": "h", "en": "h"},
    "unit_d": {"fi": "pv", "sv": "d", "en": "days"},
    "unit_%": {"fi": "%", "sv": "%", "en": "%"},
    "unit_points": {"fi": "pistettä", "sv": "poäng", "en": "points"},
    "direction_lower": {"fi": "Pienempi on parempi.", "sv": "Lägre är bättre.", "en": "Lower is better."},
    "direction_higher": {"fi": "Suurempi on parempi.", "sv": "Högre är bättre.", "en": "Higher is better."},
    # services
    "services_title": {"fi": "Palvelut", "sv": "Tjänster", "en": "Services"},
    "services_intro": {
        "fi": "Palvelut, joista kaupungilla on palautteita tai asiakkuuksia.",
        "sv": "Tjänster som staden har respons eller ärenden om.",
        "en": "Services the city has feedback or cases about.",
    },
    "col_feedback": {"fi": "Palautteita", "sv": "Respons", "en": "Feedback"},
    "col_cases": {"fi": "Asiakkuuksia", "sv": "Ärenden", "en": "Cases"},
    "service_indicators": {"fi": "Palvelun mittarit", "sv": "Tjänstens indikatorer", "en": "The service's indicators"},
    "recent_feedback": {
        "fi": "Viimeisimmät palautteet ja kaupungin vastaukset",
        "sv": "Senaste respons och stadens svar",
        "en": "Recent feedback and the city's responses",
    },
    "response_distribution": {"fi": "Vastausajat", "sv": "Svarstider", "en": "Response times"},
    "all_feedback_for_service": {
        "fi": "Kaikki tämän palvelun palautteet",
        "sv": "All respons om tjänsten",
        "en": "All feedback about this service",
    },
    "no_response_yet": {"fi": "Ei vastausta vielä.", "sv": "Inget svar ännu.", "en": "No response yet."},
    # feedback tracker
    "feedback_title": {
        "fi": "Palautteet ja niiden käsittely",
        "sv": "Respons och hur den hanteras",
        "en": "Feedback and how it was handled",
    },
    "feedback_intro": {
        "fi": "Hae palautteita ja katso, mitä kullekin tapahtui. Henkilötiedot on poistettu.",
        "sv": "Sök respons och se vad som hände med var och en. Personuppgifter har tagits bort.",
        "en": "Search feedback and see what happened to each item. Personal data has been removed.",
    },
    "search_words": {"fi": "Hakusanat", "sv": "Sökord", "en": "Search words"},
    "search_hint": {"fi": "esim. katuvalo", "sv": "t.ex. gatubelysning", "en": "e.g. streetlight"},
    "filter_area": {"fi": "Alue", "sv": "Område", "en": "Area"},
    "filter_status": {"fi": "Tila", "sv": "Läge", "en": "Status"},
    "filter_from": {"fi": "Alkaen (vvvv-kk-pp)", "sv": "Från (åååå-mm-dd)", "en": "From (yyyy-mm-dd)"},
    "filter_to": {"fi": "Päättyen (vvvv-kk-pp)", "sv": "Till (åååå-mm-dd)", "en": "To (yyyy-mm-dd)"},
    "any": {"fi": "Kaikki", "sv": "Alla", "en": "Any"},
    "filter_sort": {"fi": "Järjestys", "sv": "Ordning", "en": "Order"},
    "sort_newest": {"fi": "Uusimmat ensin", "sv": "Nyaste först", "en": "Newest first"},
    "sort_oldest": {"fi": "Vanhimmat ensin", "sv": "Äldsta först", "en": "Oldest first"},
    "sort_relevance": {"fi": "Osuvimmat ensin", "sv": "Mest relevanta först", "en": "Best match first"},
    "answered_in": {
        "fi": "Ensimmäinen vastaus {d} kuluttua",
        "sv": "Första svaret efter {d}",
        "en": "First response after {d}",
    },
    "search_button": {"fi": "Hae", "sv": "Sök", "en": "Search"},
    "results_count": {"fi": "{n} palautetta", "sv": "{n} responser", "en": "{n} feedback items"},
    "next_page": {"fi": "Seuraavat", "sv": "Nästa", "en": "Next"},
    "first_page": {"fi": "Ensimmäiset", "sv": "Första", "en": "First"},
    "no_results": {
        "fi": "Hakuehdoilla ei löytynyt palautteita.",
        "sv": "Inga responser hittades.",
        "en": "No feedback matched.",
    },
    "timeline": {"fi": "Käsittelyn vaiheet", "sv": "Hanteringens skeden", "en": "Timeline"},
    "took": {"fi": "kesti {d}", "sv": "tog {d}", "en": "took {d}"},
    "city_response": {"fi": "Kaupungin vastaus", "sv": "Stadens svar", "en": "The city's response"},
    "responding_unit": {"fi": "Vastaaja: {unit}", "sv": "Svarade: {unit}", "en": "Answered by: {unit}"},
    "approximate": {"fi": "(aika arvioitu)", "sv": "(tiden uppskattad)", "en": "(time approximate)"},
    "back_to_list": {"fi": "Takaisin palautteisiin", "sv": "Tillbaka till responsen", "en": "Back to feedback"},
    "state_received": {"fi": "Vastaanotettu", "sv": "Mottagen", "en": "Received"},
    "state_in_process": {"fi": "Käsittelyssä", "sv": "Under behandling", "en": "In process"},
    "state_response_given": {"fi": "Vastattu", "sv": "Besvarad", "en": "Response given"},
    "state_closed": {"fi": "Suljettu", "sv": "Avslutad", "en": "Closed"},
    "state_reopened": {"fi": "Avattu uudelleen", "sv": "Återöppnad", "en": "Reopened"},
    "received_on": {"fi": "Saapui {date}", "sv": "Inkom {date}", "en": "Received {date}"},
    # governance
    "initiatives_title": {"fi": "Valtuustoaloitteet", "sv": "Fullmäktigemotioner", "en": "Council initiatives"},
    "initiatives_intro": {
        "fi": "Jokainen aloite, sen tila ja kuinka kauan se on odottanut vastausta.",
        "sv": "Varje motion, dess läge och hur länge den har väntat på svar.",
        "en": "Every initiative, its status and how long it has waited for an answer.",
    },
    "filter_body": {"fi": "Toimielin", "sv": "Organ", "en": "Body"},
    "all_bodies": {"fi": "Kaikki toimielimet", "sv": "Alla organ", "en": "All bodies"},
    "show": {"fi": "Näytä", "sv": "Visa", "en": "Show"},
    "days": {"fi": "{n} pv", "sv": "{n} d", "en": "{n} days"},
    "signatories": {"fi": "{n} allekirjoittajaa", "sv": "{n} undertecknare", "en": "{n} signatories"},
    "answer": {"fi": "Vastaus", "sv": "Svar", "en": "Answer"},
    "decisions_title": {"fi": "Päätökset", "sv": "Beslut", "en": "Decisions"},
    "decisions_intro": {
        "fi": "Valtuuston, hallituksen ja lautakuntien päätökset sekä palvelut ja mittarit, joita ne koskevat.",
        "sv": "Beslut av fullmäktige, styrelsen och nämnderna, och de tjänster och indikatorer de gäller.",
        "en": "Decisions of the council, the board and committees, and the services and indicators they concern.",
    },
    "concerns": {"fi": "Koskee", "sv": "Gäller", "en": "Concerns"},
    "showing_first": {"fi": "Näytetään {n} uusinta.", "sv": "Visar de {n} senaste.", "en": "Showing the {n} newest."},
    # report
    "report_title": {"fi": "Kokousraportti", "sv": "Mötesrapport", "en": "Meeting report"},
    "report_intro": {
        "fi": "Asukaslähtöisyyden luvut toimielimen kokoukseen talousraportin rinnalle.",
        "sv": "Siffror om invånarorientering för organets möte, bredvid den ekonomiska rapporten.",
        "en": "Resident-centricity figures for a body's meeting, beside the financial ones.",
    },
    "report_for": {"fi": "{body}, {period}", "sv": "{body}, {period}", "en": "{body}, {period}"},
    "filter_period": {"fi": "Kuukausi (vvvv-kk)", "sv": "Månad (åååå-mm)", "en": "Month (yyyy-mm)"},
    "make_report": {"fi": "Tee raportti", "sv": "Skapa rapport", "en": "Make the report"},
    "off_target_title": {"fi": "Tavoitteesta jäljessä", "sv": "Efter målet", "en": "Off target"},
    "none_off_target": {
        "fi": "Kaikki mittarit, joilla on tavoite, ovat tavoitteessa.",
        "sv": "Alla indikatorer med mål når målet.",
        "en": "Every indicator with a target is on target.",
    },
    "open_initiatives": {"fi": "Avoimet aloitteet", "sv": "Öppna motioner", "en": "Open initiatives"},
    "no_open_initiatives": {"fi": "Ei avoimia aloitteita.", "sv": "Inga öppna motioner.", "en": "No open initiatives."},
    "month_decisions": {"fi": "Kuukauden päätökset", "sv": "Månadens beslut", "en": "Decisions this month"},
    "no_decisions": {"fi": "Ei päätöksiä.", "sv": "Inga beslut.", "en": "No decisions."},
    "topics_title": {"fi": "Eniten palautetta", "sv": "Mest respons", "en": "Most feedback"},
    "topics_total": {
        "fi": "Palautteita kuukaudessa yhteensä {n}.",
        "sv": "Responser under månaden totalt {n}.",
        "en": "{n} feedback items in the month.",
    },
    "city_wide": {"fi": "koko kaupunki", "sv": "hela staden", "en": "city-wide"},
    "trend_improving": {"fi": "paranee", "sv": "förbättras", "en": "improving"},
    "trend_worsening": {"fi": "heikkenee", "sv": "försämras", "en": "worsening"},
    "trend_steady": {"fi": "ennallaan", "sv": "oförändrad", "en": "steady"},
    "trend_unknown": {"fi": "ei tiedossa", "sv": "okänd", "en": "unknown"},
    "print": {
        "fi": "Tulosta tai tallenna PDF:ksi selaimen tulostuksella.",
        "sv": "Skriv ut eller spara som PDF med webbläsarens utskrift.",
        "en": "Print, or save as PDF with the browser's print.",
    },
    # feeds
    "feeds_title": {"fi": "Tilaa syötteet", "sv": "Prenumerera på flöden", "en": "Subscribe to feeds"},
    "feeds_intro": {
        "fi": "Atom-syötteet toimivat syötelukijoissa ja uutishuoneiden työkaluissa.",
        "sv": "Atom-flödena fungerar i flödesläsare och redaktionernas verktyg.",
        "en": "Atom feeds work in feed readers and newsroom tools.",
    },
    "feed_decisions": {"fi": "Uudet päätökset", "sv": "Nya beslut", "en": "New decisions"},
    "feed_initiatives": {"fi": "Vastatut aloitteet", "sv": "Besvarade motioner", "en": "Answered initiatives"},
    "feed_indicators": {
        "fi": "Tavoitteen ylittäneet tai alittaneet mittarit",
        "sv": "Indikatorer som passerat sitt mål",
        "en": "Indicators that crossed their target",
    },
    "feed_crossed_met": {
        "fi": "{name}: tavoite saavutettiin {period}",
        "sv": "{name}: målet nåddes {period}",
        "en": "{name}: on target in {period}",
    },
    "feed_crossed_not_met": {
        "fi": "{name}: tavoitteesta jäätiin {period}",
        "sv": "{name}: målet nåddes inte {period}",
        "en": "{name}: off target in {period}",
    },
    "feed_crossing_text": {
        "fi": "Arvo {value}, tavoite {target}.",
        "sv": "Värde {value}, mål {target}.",
        "en": "Value {value}, target {target}.",
    },
    "feed_all": {"fi": "Kaikki", "sv": "Alla", "en": "All"},
    # errors
    "error_bad_parameter": {
        "fi": "Virheellinen hakuehto",
        "sv": "Felaktigt sökvillkor",
        "en": "A search condition is not valid",
    },
    "error_not_found": {"fi": "Sivua ei löytynyt", "sv": "Sidan hittades inte", "en": "Page not found"},
}
MESSAGES.update(HISTORY_MESSAGES)  # the history's outputs: api/history_messages.py


def t(key: str, lang: str, **values: Any) -> str:
    """The message in a language, with ``{placeholders}`` filled in. A missing key is a bug: KeyError."""
    text = MESSAGES[key][lang]
    return text.format(**values) if values else text


def number(value: float | int | None, lang: str, digits: int = 1) -> str:
    """A number as babel writes it with the pattern ``#,##0.0…`` in the language, without babel's cost.

    A page shows hundreds of numbers and babel parses its pattern and looks the locale up for each
    (a third of an overview's time); the result only depends on the language's two symbols and on the
    rounding (half to even, on the number's shortest decimal form), done here the same way.
    ``tests/api/test_charts_and_i18n.py`` checks it against babel for any number. Not memoised: 0.0 and -0.0
    are equal keys to a cache but written differently ("0" and "-0")."""
    if value is None:
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return str(format_decimal(value, format=_pattern(digits), locale=lang))
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    decimal_sign, group = _symbols(lang)
    return format(rounded, f",.{digits}f").translate({ord(","): group, ord("."): decimal_sign})


def _pattern(digits: int) -> str:
    return "#,##0" if digits == 0 else "#,##0." + "0" * digits


@functools.cache
def _symbols(lang: str) -> tuple[str, str]:
    return str(get_decimal_symbol(lang)), str(get_group_symbol(lang))


def share(value: float | None, lang: str) -> str:
    return "–" if value is None else str(format_percent(value, locale=lang))


@functools.lru_cache(maxsize=4096)
def month(period: str, lang: str) -> str:
    """'2026-10' as 'lokakuu 2026', 'oktober 2026', 'October 2026'."""
    year, mon = period.split("-")[:2]
    return str(format_date(date(int(year), int(mon), 1), "LLLL yyyy", locale=lang))


@functools.lru_cache(maxsize=4096)
def short_month(period: str, lang: str) -> str:
    year, mon = period.split("-")[:2]
    return str(format_date(date(int(year), int(mon), 1), "LLL yy", locale=lang)).replace(".", "")


def day(value: str | datetime | None, lang: str, timezone: str | None = None) -> str:
    """A date in the reader's language; with ``timezone``, the day it is there (an instant given in UTC)."""
    if not value:
        return "–"
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if timezone and when.tzinfo is not None:
        when = when.astimezone(ZoneInfo(timezone))
    return str(format_date(when, "medium", locale=lang))


def unit(code: str, lang: str) -> str:
    key = f"unit_{code}"
    return t(key, lang) if key in MESSAGES else code


def duration(hours: float | None, lang: str) -> str:
    """Hours as something a person reads: '45 min', '5,5 h', '3,2 pv'."""
    if hours is None:
        return "–"
    if hours < 1:
        return f"{number(hours * 60, lang, 0)} min"
    if hours < 48:
        return f"{number(hours, lang, 1)} h"
    return t("days", lang, n=number(hours / 24, lang, 1))


def best_language(accept: Any) -> str:
    """From an Accept-Language header (werkzeug's MIMEAccept-like object); Finnish unless asked otherwise."""
    found = accept.best_match(LANGUAGES) if accept else None
    return str(found) if found else DEFAULT
