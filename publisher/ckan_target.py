"""Publishes to a CKAN portal: one dataset per indicator, with a CSV resource, its
DataStore table (primary key and data dictionary) and a link to the API.

How it stays honest and cheap:

* Idempotent. Every dataset carries ``mittari_content_hash`` over its metadata,
  data dictionary and rows. When the portal's hash equals ours nothing is
  written, so an unchanged publish leaves no activity.
* Changes only. Rows are compared with what the DataStore holds; changed and new
  rows are upserted in batches of ``MITTARI_CKAN_BATCH_SIZE`` (each one
  transaction), rows that disappeared are deleted.
* Metadata last. The CSV file and the dataset's metadata (with the new hash) are
  switched only after the DataStore holds every row, and a new dataset stays
  private until then. A publish cut off halfway leaves the old hash, so the next
  one finds the difference and resumes.
* CKAN's ``package_patch`` with a ``resources`` list drops the resources it
  leaves out, so dataset metadata is patched without resources and each
  resource on its own.
* An unreachable or overloaded portal is retried with backoff for
  ``MITTARI_CKAN_RETRY_SECONDS``; validation (409) and authorisation (403)
  errors stop at once with the action, dataset and fields at fault.

Portals running ckanext-scheming with fluent fields (avoindata.fi) get
``title_translated`` / ``notes_translated`` / ``keywords`` per language and
their schema's own fields; plain CKAN gets Finnish ``title`` and ``notes`` with
the Swedish and English texts as extras.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, NotAuthorized, SearchIndexError, ValidationError
from ckanapi.errors import NotFound as CkanNotFound

from core.errors import ConfigError, NotFound, PublishRefused, TransientError
from core.logs import fields as log_fields
from core.settings import Settings
from figures.catalog import LICENSES, text_in
from figures.datasets import DEFINITIONS_VERSION, dataset_name
from publisher.target import Dataset, PublishReport

log = logging.getLogger(__name__)

DEV_ENV_FILE = Path("var/services/ckan/env")  # written by deploy/local/services.sh start ckan
DEFAULT_LANGUAGE = "fi"
LANGUAGES = ("fi", "sv", "en")
_DATASTORE_TYPES = {"string": "text", "number": "numeric", "integer": "int", "boolean": "bool"}
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_PAGE = 10_000  # DataStore rows read per call when comparing
HASH_EXTRA = "mittari_content_hash"


class _Unavailable(Exception):
    """The portal answered with a status worth retrying (overloaded, restarting, behind a proxy)."""


class _Remote(RemoteCKAN):  # type: ignore[misc]
    """ckanapi's client, but a 5xx/429 becomes retryable instead of an opaque CKANAPIError."""

    def _request_fn(self, url: str, data: Any, headers: Any, files: Any, requests_kwargs: Any) -> tuple[int, str]:
        status, body = super()._request_fn(url, data, headers, files, requests_kwargs)
        if status in _RETRY_STATUSES:
            raise _Unavailable(f"HTTP {status} from {url}")
        return status, body


def content_hash(*parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CkanTarget:
    def __init__(
        self,
        url: str,
        token: str,
        organization: str,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_call: Callable[[str, str], None] | None = None,
    ) -> None:
        if not url or not token or not organization:
            raise ConfigError(
                "publishing to CKAN needs MITTARI_CKAN_URL, MITTARI_CKAN_TOKEN and MITTARI_CKAN_ORG "
                "(in development: deploy/local/services.sh start ckan writes them to var/services/ckan/env)"
            )
        self.url = url.rstrip("/")
        self.organization = organization
        self.settings = settings
        self._remote = _Remote(self.url, apikey=token, user_agent="mittari-publisher (+https://github.com/mittari)")
        self._sleep = sleep
        self._clock = clock
        self._on_call = on_call  # tests hook in here to stop the portal at a chosen moment
        self._org_id: str | None = None
        self._schema_fields: set[str] | None = None
        self._license: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CkanTarget:
        if not settings.ckan_url and DEV_ENV_FILE.exists():
            values = dict(
                line.split("=", 1) for line in DEV_ENV_FILE.read_text().splitlines() if "=" in line and line[0] != "#"
            )
            settings = settings.with_overrides(
                ckan_url=values.get("MITTARI_CKAN_URL", ""),
                ckan_token=settings.ckan_token or values.get("MITTARI_CKAN_TOKEN", ""),
                ckan_org=settings.ckan_org or values.get("MITTARI_CKAN_ORG", ""),
            )
            log.info("ckan settings", extra=log_fields(source=str(DEV_ENV_FILE), url=settings.ckan_url))
        return cls(settings.ckan_url, settings.ckan_token, settings.ckan_org, settings)

    def close(self) -> None:
        self._remote.close()

    # -- the port ------------------------------------------------------------
    def publish(self, datasets: list[Dataset], catalog: dict[str, Any]) -> PublishReport:
        report = PublishReport()
        self._prepare()
        for dataset in datasets:
            name = dataset_name(self.settings.namespace, dataset.code)
            if self._publish_one(name, dataset):
                report.changed.append(name)
            else:
                report.unchanged.append(name)
        wanted = {dataset_name(self.settings.namespace, d.code) for d in datasets}
        for name in self._owned_names():
            if name not in wanted:
                self.call("package_delete", {"id": name}, dataset=name)
                report.removed.append(name)
        return report

    def _prepare(self) -> None:
        """Learn the organisation, the licence id and whether the portal runs scheming (once)."""
        if self._org_id is not None:
            return
        try:
            org = self.call("organization_show", {"id": self.organization, "include_datasets": False})
        except NotFound as exc:
            raise ConfigError(
                f"CKAN at {self.url} has no organisation {self.organization!r} (MITTARI_CKAN_ORG)"
            ) from exc
        self._org_id = str(org["id"])
        licences = self.call("license_list", {})
        self._license = choose_license(self.settings.license, [str(item["id"]) for item in licences])
        try:
            schema = self.call("scheming_dataset_schema_show", {"type": "dataset"})
            self._schema_fields = {str(f["field_name"]) for f in schema.get("dataset_fields", [])}
        except (NotFound, PublishRefused):
            self._schema_fields = None  # plain CKAN: no scheming plugin (the action does not exist)

    # -- one dataset ---------------------------------------------------------
    def _publish_one(self, name: str, dataset: Dataset) -> bool:
        csv = dataset.csv_bytes()
        csv_hash = "sha256:" + hashlib.sha256(csv).hexdigest()
        package = package_dict(
            name, dataset, self.settings, self._org_id or "", self._license or "", self._schema_fields
        )
        digest = content_hash(package, dataset.fields, dataset.primary_key, csv_hash)
        try:
            current: dict[str, Any] | None = self.call("package_show", {"id": name}, dataset=name)
        except NotFound:
            current = None
        if current is not None and current.get("owner_org") != self._org_id:
            raise PublishRefused(
                f"the CKAN dataset name {name!r} belongs to another organisation; "
                "set MITTARI_NAMESPACE to another prefix",
                action="package_show",
                dataset=name,
                fields={"name": "taken"},
            )
        if current is not None and current.get("state") == "active" and _extra(current, HASH_EXTRA) == digest:
            return False
        log.info("ckan publish start", extra=log_fields(dataset=name, rows=len(dataset.rows), new=current is None))
        if current is None:
            # Built privately, made public by the last patch: nobody sees a half-built dataset.
            current = self.call(
                "package_create", {**package, "private": True, "extras": package["extras"]}, dataset=name
            )
        resources = self._resources(name, current, dataset, csv, csv_hash)
        self._sync_datastore(name, resources["csv"], dataset)
        if resources["csv"].get("hash") != csv_hash:
            self.call(
                "resource_patch",
                {"id": resources["csv"]["id"], "hash": csv_hash},
                files=lambda: {"upload": (f"{dataset.code}.csv", io.BytesIO(csv), "text/csv")},
                dataset=name,
            )
        final = {**package, "id": current["id"], "private": False, "state": "active"}
        final["extras"] = [*package["extras"], {"key": HASH_EXTRA, "value": digest}]
        self.call("package_patch", final, dataset=name)  # no `resources` key: CKAN keeps them all
        log.info("ckan publish done", extra=log_fields(dataset=name, hash=digest))
        return True

    def _resources(
        self, name: str, package: dict[str, Any], dataset: Dataset, csv: bytes, csv_hash: str
    ) -> dict[str, dict[str, Any]]:
        """Find (or create) the CSV and API resources; drop duplicates a retried create may have left."""
        wanted = resource_dicts(dataset, self.settings)
        found: dict[str, dict[str, Any]] = {}
        for resource in package.get("resources", []):
            role = resource.get("mittari_role")
            if role in wanted and role not in found:
                found[role] = resource
            elif role in wanted:
                self.call("resource_delete", {"id": resource["id"]}, dataset=name)
        for role, fields in wanted.items():
            if role not in found:
                data = {**fields, "package_id": package["id"]}
                if role == "csv":
                    data["hash"] = "pending"  # the file is uploaded now, but its hash is set only once the rows are in

                    def upload() -> dict[str, Any]:
                        return {"upload": (f"{dataset.code}.csv", io.BytesIO(csv), "text/csv")}

                    found[role] = self.call("resource_create", data, files=upload, dataset=name)
                else:
                    found[role] = self.call("resource_create", data, dataset=name)
            else:
                stale = {k: v for k, v in fields.items() if k != "url" and found[role].get(k) != v}
                if role == "api" and found[role].get("url") != fields["url"]:
                    stale["url"] = fields["url"]
                if stale:
                    found[role] = self.call("resource_patch", {"id": found[role]["id"], **stale}, dataset=name)
        return found

    def _sync_datastore(self, name: str, resource: dict[str, Any], dataset: Dataset) -> None:
        resource_id = str(resource["id"])
        wanted_fields = datastore_fields(dataset)
        try:
            info = self.call("datastore_info", {"id": resource_id}, dataset=name)
            have_fields = [
                {"id": f["id"], "type": f["type"], "info": f.get("info") or {}}
                for f in info.get("fields", [])
                if not f["id"].startswith("_")
            ]
            table_ok = have_fields == wanted_fields
        except NotFound:
            table_ok = False
        if not table_ok:
            self.call(
                "datastore_create",
                {
                    "resource_id": resource_id,
                    "fields": wanted_fields,
                    "primary_key": list(dataset.primary_key),
                    "force": True,
                },
                dataset=name,
            )
        have = {
            _key(row, dataset.primary_key): normalise(row, dataset) for row in self._datastore_rows(name, resource_id)
        }
        want = {_key(row, dataset.primary_key): normalise(row, dataset) for row in dataset.rows}
        changed = [want[k] for k in want if have.get(k) != want[k]]
        gone = [k for k in have if k not in want]
        size = self.settings.ckan_batch_size
        for start in range(0, len(changed), size):
            batch = changed[start : start + size]
            self.call(
                "datastore_upsert",
                {"resource_id": resource_id, "records": batch, "method": "upsert", "force": True},
                dataset=name,
            )
        for key in gone:
            self.call(
                "datastore_delete",
                {
                    "resource_id": resource_id,
                    "filters": dict(zip(dataset.primary_key, key, strict=True)),
                    "force": True,
                },
                dataset=name,
            )
        log.info(
            "ckan datastore synced",
            extra=log_fields(
                dataset=name, resource=resource_id, upserted=len(changed), deleted=len(gone), rows=len(want)
            ),
        )

    def _datastore_rows(self, name: str, resource_id: str) -> Iterable[dict[str, Any]]:
        offset = 0
        while True:
            page = self.call(
                "datastore_search",
                {"resource_id": resource_id, "limit": _PAGE, "offset": offset, "sort": "_id"},
                dataset=name,
            )
            records = page.get("records", [])
            yield from records
            if len(records) < _PAGE:
                return
            offset += _PAGE

    def _owned_names(self) -> list[str]:
        """Datasets of this organisation and namespace that Mittari made (it never touches others)."""
        prefix = dataset_name(self.settings.namespace, "")
        escaped = prefix.replace("-", "\\-")
        names: list[str] = []
        start = 0
        while True:
            page = self.call(
                "package_search",
                {
                    "fq": f"owner_org:{self._org_id} AND name:{escaped}*",
                    "include_private": True,
                    "rows": 500,
                    "start": start,
                    "fl": "name,extras_mittari_indicator",
                },
            )
            results = page.get("results", [])
            names += [str(r["name"]) for r in results if str(r["name"]).startswith(prefix)]
            start += len(results)
            if not results or start >= page.get("count", 0):
                return names

    # -- every call goes through here ------------------------------------------
    def call(
        self,
        action: str,
        data: dict[str, Any],
        *,
        files: Callable[[], dict[str, Any]] | None = None,
        dataset: str = "",
    ) -> Any:
        """One action, retried with backoff while the portal is unreachable; errors in Mittari's terms."""
        deadline = self._clock() + self.settings.ckan_retry_seconds
        delay = 0.5
        attempt = 0
        while True:
            attempt += 1
            if self._on_call is not None:
                self._on_call(action, dataset)
            try:
                body = _multipart(data) if files else data
                return self._remote.call_action(
                    action, body, files=files() if files else None, requests_kwargs={"timeout": 60}
                )
            except (requests.ConnectionError, requests.Timeout, _Unavailable, SearchIndexError) as exc:
                if self._clock() + delay > deadline:
                    raise TransientError(
                        f"CKAN at {self.url} did not answer {action} (dataset {dataset or '-'}) for "
                        f"{self.settings.ckan_retry_seconds} s: {exc}; the next publish resumes where this one stopped"
                    ) from exc
                log.warning(
                    "ckan retry",
                    extra=log_fields(
                        action=action, dataset=dataset, attempt=attempt, delay=delay, error=str(exc)[:300]
                    ),
                )
                self._sleep(delay)
                delay = min(delay * 2, 10.0)
            except ValidationError as exc:
                problems = field_errors(getattr(exc, "error_dict", {}) or {})
                raise PublishRefused(
                    f"CKAN refused {action} for dataset {dataset or '-'}: "
                    + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                    action=action,
                    dataset=dataset,
                    fields=problems,
                ) from exc
            except NotAuthorized as exc:
                raise PublishRefused(
                    f"CKAN at {self.url} does not allow {action} (dataset {dataset or '-'}, organisation "
                    f"{self.organization}): the user of MITTARI_CKAN_TOKEN must be an editor or admin there",
                    action=action,
                    dataset=dataset,
                ) from exc
            except CkanNotFound as exc:
                raise NotFound(f"CKAN {action}: {exc}") from exc
            except CKANAPIError as exc:
                if "Action name not known" in str(exc):
                    raise NotFound(f"CKAN at {self.url} has no action {action}") from exc
                raise PublishRefused(
                    f"CKAN answered {action} (dataset {dataset or '-'}) unexpectedly: {str(exc)[:500]}",
                    action=action,
                    dataset=dataset,
                ) from exc


# -- the mapping from Mittari's metadata to CKAN's ------------------------------
def choose_license(spdx: str, available: list[str]) -> str:
    """The portal's id for our licence: exact or case-insensitive SPDX id, else CKAN's classic ids."""
    lowered = {item.lower(): item for item in available}
    if spdx.lower() in lowered:
        return lowered[spdx.lower()]
    classic = {"cc-by-4.0": "cc-by", "cc0-1.0": "cc-zero", "cc-by-sa-4.0": "cc-by-sa", "odbl-1.0": "odc-odbl"}
    fallback = classic.get(spdx.lower())
    if fallback and fallback in lowered:
        return lowered[fallback]
    raise ConfigError(
        f"the CKAN portal offers no licence matching MITTARI_LICENSE={spdx!r}; it has {sorted(available)}"
    )


def package_dict(
    name: str,
    dataset: Dataset,
    settings: Settings,
    org_id: str,
    license_id: str,
    schema_fields: set[str] | None,
) -> dict[str, Any]:
    """The CKAN dataset for an indicator, from its DCAT-AP node. Everything but resources."""
    meta = dataset.metadata
    titles = {lang: text_in(meta.get("dct:title"), lang) for lang in LANGUAGES}
    descriptions = {lang: text_in(meta.get("dct:description"), lang) for lang in LANGUAGES}
    provenance = str((meta.get("dct:provenance") or {}).get("rdfs:label", ""))
    keywords: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for item in meta.get("dcat:keyword", []):
        keywords.setdefault(item["@language"], []).append(item["@value"])
    temporal = meta.get("dct:temporal") or {}
    place = meta.get("dct:spatial") or {}
    base = settings.base_url.rstrip("/")
    extras: dict[str, str] = {
        "identifier": dataset.code,
        "mittari_indicator": dataset.code,
        "mittari_definitions_version": DEFINITIONS_VERSION,
        **_recipe_extras(meta),
        "provenance": provenance,
        "frequency": str((meta.get("dct:accrualPeriodicity") or {}).get("@id", "")),
        "theme": json.dumps([(meta.get("dcat:theme") or {}).get("@id", "")]),
        "language": json.dumps(["fi", "sv", "en"]),
        "publisher_name": settings.publisher_name,
        "publisher_email": settings.contact_email,
        "contact_name": settings.publisher_name,
        "contact_email": settings.contact_email,
        "license_uri": LICENSES.get(settings.license, settings.license),
        "collection_type": "Open Data",
        "temporal_start": str((temporal.get("dcat:startDate") or {}).get("@value", "")),
        "temporal_end": str((temporal.get("dcat:endDate") or {}).get("@value", "")),
        "modified": str((meta.get("dct:modified") or {}).get("@value", "")),
    }
    if "@id" in place:
        extras["spatial_uri"] = str(place["@id"])
    else:
        extras["spatial_text"] = str(place.get("rdfs:label", ""))
    package: dict[str, Any] = {
        "name": name,
        "title": titles[DEFAULT_LANGUAGE],
        "notes": _notes(descriptions[DEFAULT_LANGUAGE], provenance),
        "owner_org": org_id,
        "license_id": license_id,
        "author": settings.publisher_name,
        "author_email": settings.contact_email,
        "maintainer": settings.publisher_name,
        "maintainer_email": settings.contact_email,
        "url": api_url(dataset, base),
        "version": DEFINITIONS_VERSION,
        "tags": [{"name": word} for lang in LANGUAGES for word in keywords.get(lang, [])],
    }
    if schema_fields is None:
        for lang in LANGUAGES:
            if lang != DEFAULT_LANGUAGE:
                extras[f"title_{lang}"] = titles[lang]
                extras[f"notes_{lang}"] = _notes(descriptions[lang], provenance)
    else:
        translated = {
            "title_translated": titles,
            "notes_translated": {lang: _notes(descriptions[lang], provenance) for lang in LANGUAGES},
            "keywords": keywords,
        }
        package.update({k: v for k, v in translated.items() if k in schema_fields})
        if "keywords" in schema_fields:
            package.pop("tags")
        for key in [k for k in extras if k in schema_fields]:
            package[key] = extras.pop(key)  # scheming wants its own fields at the top level
    package["extras"] = [{"key": k, "value": v} for k, v in sorted(extras.items()) if v]
    return package


def resource_dicts(dataset: Dataset, settings: Settings) -> dict[str, dict[str, Any]]:
    base = settings.base_url.rstrip("/")
    return {
        "csv": {
            "name": f"{dataset.code}.csv",
            "description": (
                "Kuukausiarvot koko kaupungille, palveluittain ja alueittain (myös DataStoressa). / "
                "Månadsvärden för hela staden, per tjänst och per område (även i DataStore). / "
                "Monthly values city-wide, by service and by area (also in the DataStore)."
            ),
            "format": "CSV",
            "mimetype": "text/csv",
            "mittari_role": "csv",
        },
        "api": {
            "name": "API (JSON)",
            "description": (
                "Samat luvut Mittarin rajapinnasta. / Samma siffror från Mittaris API. / "
                "The same figures from Mittari's API."
            ),
            "url": api_url(dataset, base),
            "format": "JSON",
            "mimetype": "application/json",
            "mittari_role": "api",
        },
    }


def api_url(dataset: Dataset, base: str) -> str:
    """The dataset's JSON API address, from its DCAT-AP node (the corrections are not an indicator)."""
    for distribution in dataset.metadata.get("dcat:distribution") or []:
        if distribution.get("dcat:mediaType") == "application/json":
            return str((distribution.get("dcat:accessURL") or {}).get("@id"))
    return f"{base}/v1/indicators/{dataset.code}"


def datastore_fields(dataset: Dataset) -> list[dict[str, Any]]:
    """The data dictionary: DataStore types, with each field's description (and unit) as notes."""
    return [
        {"id": name, "type": _DATASTORE_TYPES[kind], "info": {"label": name, "notes": description}}
        for name, kind, description in dataset.fields
    ]


def normalise(row: dict[str, Any], dataset: Dataset) -> dict[str, Any]:
    """A row as the DataStore returns it, so ours and the portal's compare equal when they are."""
    out: dict[str, Any] = {}
    for name, kind, _ in dataset.fields:
        value = row.get(name)
        if value is None or (value == "" and kind != "string"):
            out[name] = None if kind != "string" else ""
        elif kind == "number":
            out[name] = round(float(value), 9)
        elif kind == "integer":
            out[name] = int(value)
        elif kind == "boolean":
            out[name] = value if isinstance(value, bool) else str(value).lower() == "true"
        else:
            out[name] = str(value)
    return out


def field_errors(error_dict: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in error_dict.items():
        if key.startswith("__"):
            continue
        out[key] = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


def _key(row: dict[str, Any], primary_key: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("" if row.get(k) is None else str(row.get(k)) for k in primary_key)


def _recipe_extras(meta: dict[str, Any]) -> dict[str, str]:
    """The definition version and hash, and the log position the rows were computed at (figures/catalog.py)."""
    definition = meta.get("dct:conformsTo") or {}
    return {
        "mittari_definition_version": str(definition.get("owl:versionInfo", "")),
        "mittari_definition_sha256": str(definition.get("dct:identifier", "")).removeprefix("sha256:"),
        "mittari_log_position": str((meta.get("dct:provenance") or {}).get("rdfs:comment", "")),
    }


def _extra(package: dict[str, Any], key: str) -> str | None:
    if key in package:  # scheming portals flatten extras
        return str(package[key])
    for item in package.get("extras", []):
        if item.get("key") == key:
            return str(item.get("value"))
    return None


def _notes(description: str, provenance: str) -> str:
    return f"{description}\n\n{provenance}" if provenance else description


def _multipart(data: dict[str, Any]) -> dict[str, Any]:
    """A multipart upload carries flat strings only."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items() if v is not None}
