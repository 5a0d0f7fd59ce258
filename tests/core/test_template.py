"""``carecase init``: the commented template covers every section and validates."""

from __future__ import annotations

import re

import pytest
import yaml

from carecase.core.config import CarecaseConfig, load_config
from carecase.core.errors import ConfigError
from carecase.core.template import template_text, write_template


def test_init_writes_a_valid_config_and_empty_folders(tmp_path):
    path = write_template(tmp_path / "proj")
    assert path == tmp_path / "proj" / "carecase.yaml"
    assert (tmp_path / "proj" / "extracts").is_dir()
    assert (tmp_path / "proj" / "out").is_dir()
    assert list((tmp_path / "proj" / "extracts").iterdir()) == []
    config = load_config(path)
    assert config.engine.backend == "duckdb"
    assert config.project.period_start < config.project.period_end


def test_template_sets_every_section_explicitly():
    data = yaml.safe_load(template_text())
    assert set(data) == set(CarecaseConfig.model_fields)


def test_template_shows_the_example_sources_the_docs_describe():
    config = CarecaseConfig.model_validate(yaml.safe_load(template_text()))
    ingest = config.ingest
    assert ingest.population is not None and ingest.programme is not None
    assert len(ingest.outcomes) >= 1
    assert len(ingest.sources) >= 2
    with_nhs = [s for s in ingest.sources if s.ids.nhs_number]
    without = [s for s in ingest.sources if not s.ids.nhs_number]
    assert with_nhs and without
    # the source with no NHS number links on name, DOB and postcode, and through a lookup
    s = without[0]
    assert s.ids.family_name and s.ids.dob and s.ids.postcode
    assert s.ids.lookup in {lk.name for lk in ingest.lookups}


def test_template_is_commented_and_holds_no_secret():
    text = template_text()
    comments = [ln for ln in text.splitlines() if ln.strip().startswith("#") or " # " in ln]
    assert len(comments) > 40
    assert "key_env: CARECASE_KEY" in text
    assert "# key_file:" in text  # optional, shown commented out


def test_init_refuses_to_overwrite_without_force(tmp_path):
    path = write_template(tmp_path)
    path.write_text("edited: true\n")
    with pytest.raises(ConfigError, match="already exists; carecase init will not overwrite it. Use --force"):
        write_template(tmp_path)
    assert path.read_text() == "edited: true\n"
    write_template(tmp_path, force=True)
    assert path.read_text() == template_text()


def test_init_into_a_file_path_is_refused(tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(ConfigError, match="exists and is not a folder"):
        write_template(target)


OPTIONAL = re.compile(r"^(\s*)# ((?:\s*- )?\s*(?:[a-z_][a-z0-9_]*|[A-Z][A-Z0-9_]*):(?:\s.*)?)$")


def _uncommented(text: str) -> tuple[str, int]:
    """The template with every commented-out optional key (``# key: value``) switched on."""
    out, n = [], 0
    for line in text.splitlines():
        m = OPTIONAL.match(line)
        if m:
            line, n = m.group(1) + m.group(2), n + 1
        out.append(line)
    return "\n".join(out) + "\n", n


def test_commented_out_optional_keys_are_valid_when_switched_on():
    """The examples shown as comments must stay true to the configuration models."""
    text, switched_on = _uncommented(template_text())
    assert switched_on >= 15
    config = CarecaseConfig.model_validate(yaml.safe_load(text))
    assert config.engine.threads == 4
    assert config.privacy.key_file == "/secure/keys/carecase.key"
    assert config.services[0].code == "OUTPATIENT_APPT" and config.services[0].kind == "point"
    assert config.costs.service_costs == {"OUTPATIENT_APPT": "HE8.0"}
