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


def exported_metrics(queries):
    """<query name>_<column> for every non-label column, as postgres_exporter names them."""
    names, query, column = set(), None, None
    for line in queries.splitlines():
        m = re.match(r"^(lifeguard_[a-z_]+):\s*$", line)
        if m:
            query, column = m.group(1), None
            continue
        m = re.match(r"^\s+- ([a-z_]+):\s*$", line)
        if m and query:
            column = m.group(1)
            continue
        m = re.match(r'^\s+usage:\s*"?([A-Z]+)"?', line)
        if m and query and column and m.group(1) != "LABEL":
            names.add(f"{query}_{column}")
    return names


def test_rules_use_exported_metrics():
    rules = open(RULES).read()
    exported = exported_metrics(open(QUERIES).read())
    used = set(re.findall(r"\b(lifeguard_[a-z_]+)\b", rules))
    assert used, "the rules use no lifeguard metric"
    assert "lifeguard_pool_connections" in exported, "the exporter config was not read"
    missing = sorted(used - exported)
    assert not missing, f"rules use metrics the exporter config does not define: {missing}"
