"""The example Prometheus alert rules in contrib/prometheus are valid:
promtool (Debian's prometheus package) checks them, and every metric they
use is one that lifeguard.metrics exports through postgres_exporter."""
import os
import re
import shutil
import subprocess

import pytest

SRC = os.environ.get("LIFEGUARD_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
RULES = os.path.join(SRC, "contrib", "prometheus", "lifeguard.rules.yml")
QUERIES = os.path.join(SRC, "contrib", "postgres_exporter", "queries.yaml")


def test_promtool_accepts_the_rules():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    out = subprocess.run([promtool, "check", "rules", RULES], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout + out.stderr


def test_rules_use_exported_metrics():
    rules = open(RULES).read()
    queries = open(QUERIES).read()
    used = set(re.findall(r"\b(lifeguard_[a-z_]+)\b", rules))
    assert used, "the rules use no lifeguard metric"
    # postgres_exporter names a metric <query name>_<column>
    prefixes = set(re.findall(r"^(lifeguard_[a-z_]+):\s*$", queries, flags=re.M))
    missing = [m for m in used if not any(m.startswith(p) for p in prefixes)]
    assert not missing, f"rules use metrics the exporter config does not define: {missing}"
