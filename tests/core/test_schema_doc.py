"""The JSON Schema and docs/configuration.md stay true to the configuration models."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from carecase.core.config import CarecaseConfig, json_schema
from carecase.core.schema_doc import schema_markdown
from carecase.core.template import template_text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_docs_configuration_md_is_up_to_date():
    assert DOCS.read_text(encoding="utf-8") == schema_markdown(), (
        "docs/configuration.md is out of date with the configuration models: run `make docs` "
        "(carecase schema --markdown > docs/configuration.md) and commit it."
    )


def test_json_schema_is_a_valid_schema_that_accepts_the_template():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(json.dumps(yaml.safe_load(template_text()), default=str))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert set(schema["properties"]) == set(CarecaseConfig.model_fields)
    assert schema["additionalProperties"] is False


def test_markdown_documents_every_section_and_every_top_level_key():
    md = schema_markdown()
    for name in CarecaseConfig.model_fields:
        assert f"| `{name}` |" in md
    for section in ("project", "engine", "privacy", "ingest", "ingest.sources[]",
                    "ingest.sources[].event", "linkage", "costs", "audit", "evaluation",
                    "cba", "report"):
        assert f"## `{section}` —" in md


def test_markdown_tables_have_four_cells_per_row():
    """A bare '|' inside a type such as `int | None` would split a row into more cells."""
    for line in schema_markdown().splitlines():
        if line.startswith("| `"):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert len(cells) == 4, line
