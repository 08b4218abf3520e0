"""Every row of RELIABILITY.md points at a test that exists."""

import re

from conftest import REPO


def test_every_reliability_row_names_existing_tests():
    text = (REPO / "RELIABILITY.md").read_text()
    refs = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text)
    assert len(refs) >= 25
    for path, name in refs:
        source = (REPO / path).read_text()
        assert re.search(rf"^def {name}\(", source, re.M), f"{path}::{name} named in RELIABILITY.md does not exist"
