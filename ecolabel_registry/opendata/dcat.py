"""DCAT-AP 3.0 metadata, as JSON-LD, for open-data portals that harvest catalogues (data.europa.eu,
CKAN's DCAT harvester): the catalogue, one `dcat:Dataset` per kind of public record with the newest full
dump's files as its `dcat:Distribution`s (each with its SHA-256 as an `spdx:Checksum`), and the
statistics API as a `dcat:DataService`.
"""

from __future__ import annotations

from typing import Any

import orjson

from verification.dump import DumpFile, DumpManifest

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_IANA = "http://www.iana.org/assignments/media-types/"
_FORMATS = {"text/csv": "CSV", "application/jsonl": "JSONL"}
DESCRIPTIONS = {
    "programmes": "Eco-label programmes (ISO 14024 Type I bodies) registered in the registry.",
    "categories": "Product categories of each programme, per criteria version, with CPV, China government "
    "procurement and HS codes.",
    "certificates": "Certificates (licences) with their holder, category and status at the checkpoint.",
    "status_events": "Signed status changes of certificates: suspension, reinstatement, withdrawal, renewal.",
    "agreements": "Mutual-recognition agreements with their parties, scope, events and standing.",
    "documents": "The exact signed documents behind every other row, with their log position.",
}


def catalogue(base: str, origin: str, newest: DumpManifest | None, dumps_path: str) -> dict[str, Any]:
    publisher = {"@type": "foaf:Agent", "foaf:name": origin}
    datasets = []
    for dataset, description in DESCRIPTIONS.items():
        item: dict[str, Any] = {
            "@id": f"{base}/v1/dcat#{dataset}",
            "@type": "dcat:Dataset",
            "dct:identifier": dataset,
            "dct:title": {"@value": f"Eco-label registry: {dataset.replace('_', ' ')}", "@language": "en"},
            "dct:description": {"@value": description, "@language": "en"},
            "dct:publisher": publisher,
            "dcat:keyword": ["ecolabel", "green public procurement", "ISO 14024"],
            "dct:accrualPeriodicity": {"@id": "http://publications.europa.eu/resource/authority/frequency/DAILY"},
            "dcat:distribution": [],
        }
        if newest is not None:
            name = f"dump-{newest.tree_size:012d}"
            item["dct:modified"] = {"@value": newest.created_at, "@type": "xsd:dateTime"}
            item["dcat:distribution"] = [
                _distribution(f"{base}{dumps_path}/{name}/{file.path}", file)
                for file in newest.files
                if file.dataset == dataset
            ]
        datasets.append(item)
    return {
        "@context": CONTEXT,
        "@id": f"{base}/v1/dcat",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": f"Open data of the eco-label registry {origin}", "@language": "en"},
        "dct:description": {
            "@value": "Eco-label programmes, categories, certificates and mutual-recognition agreements, "
            "as signed bulk downloads pinned to a transparency-log checkpoint.",
            "@language": "en",
        },
        "dct:publisher": publisher,
        "dcat:dataset": datasets,
        "dcat:service": [
            {
                "@type": "dcat:DataService",
                "dct:title": {"@value": "Statistics API", "@language": "en"},
                "dcat:endpointURL": {"@id": f"{base}/v1/statistics/"},
                "dcat:endpointDescription": {"@id": f"{base}/openapi.json"},
                "dcat:servesDataset": [{"@id": f"{base}/v1/dcat#{d}"} for d in ("certificates", "agreements")],
            }
        ],
    }


def _distribution(url: str, file: DumpFile) -> dict[str, Any]:
    media_type, size, sha256 = file.media_type, file.bytes, file.sha256
    return {
        "@type": "dcat:Distribution",
        "dcat:downloadURL": {"@id": url},
        "dcat:accessURL": {"@id": url},
        "dcat:mediaType": {"@id": _IANA + media_type},
        "dct:format": _FORMATS.get(media_type, media_type),
        "dcat:byteSize": {"@value": str(size), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"},
            "spdx:checksumValue": {"@value": sha256, "@type": "xsd:hexBinary"},
        },
    }


def encode(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document)
