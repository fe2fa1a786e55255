"""The Alembic example, checked for real: every revision's downgrade must
undo its upgrade exactly.

For each revision P -> R of examples/alembic, Alembic's offline mode
renders the upgrade (alembic upgrade P:R --sql) and the downgrade
(alembic downgrade R:P --sql) as plain SQL.  lifeguard.check_migration
runs up, down and up again inside a subtransaction it always rolls back,
and reports what the downgrade did not undo.  Then the upgrade is applied
for real, so the next revision is checked from the right state.

Revision 0003's downgrade is wrong on purpose (varchar(256) where 0001 made
varchar(255)): the test expects exactly that revision to be reported,
naming the column and the attribute.  This is the "upgrade + downgrade"
CI test application teams write, made exact; copy assert_reversible()
into your own suite.
"""
import os
import subprocess

import pytest

psycopg = pytest.importorskip("psycopg")
pytest.importorskip("alembic")

SRC = os.environ.get("LIFEGUARD_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
INI = os.path.join(SRC, "examples", "alembic", "alembic.ini")
REVISIONS = [("base", "0001"), ("0001", "0002"), ("0002", "0003"), ("0003", "0004")]
WRONG = "0003"
DB = "alembic_check"

# kinds that mean "this downgrade does not undo this upgrade"
FAILING_KINDS = ("not_reversible", "stairway_failed", "error", "not_transactional")


def alembic_sql(*args):
    """Render a migration step as SQL with Alembic's offline mode."""
    out = subprocess.run(["/usr/bin/python3", "-m", "alembic", "-c", INI, *args, "--sql"],
                         check=True, capture_output=True, text=True, cwd=os.path.dirname(INI))
    return out.stdout


def assert_reversible(conn, up_sql, down_sql):
    """Fail with one line per finding when down does not undo up."""
    rows = conn.execute(
        "SELECT step, statement_no, kind, object_name, detail"
        "  FROM lifeguard.check_migration(%s, %s)"
        " WHERE kind = ANY(%s)", (up_sql, down_sql, list(FAILING_KINDS))).fetchall()
    if rows:
        raise AssertionError("migration is not reversible:\n" + "\n".join(
            f"  {kind}: {obj or ''} {detail} (step {step}"
            + (f", statement {no})" if no else ")")
            for step, no, kind, obj, detail in rows))


def schema_state(conn):
    return conn.execute("SELECT lifeguard.schema_fingerprint(ARRAY['public'])").fetchone()[0]


@pytest.fixture(scope="module")
def db(pg, admin):
    """A scratch database with pg_lifeguard, at revision base."""
    admin.execute(f"DROP DATABASE IF EXISTS {DB}")
    admin.execute(f"CREATE DATABASE {DB}")
    conn = psycopg.connect(host=pg["PGHOST"], port=pg["PGPORT"], user=pg["PGUSER"],
                           dbname=DB, autocommit=True, application_name="alembic-check")
    conn.execute("CREATE EXTENSION pg_lifeguard")
    yield conn
    conn.close()
    admin.execute(f"DROP DATABASE IF EXISTS {DB}")


@pytest.fixture(scope="module")
def checked(db):
    """Check every revision in order, applying each upgrade afterwards.
    Returns {revision: (AssertionError or None, state unchanged by the check)}."""
    results = {}
    for parent, rev in REVISIONS:
        up = alembic_sql("upgrade", f"{parent}:{rev}")
        down = alembic_sql("downgrade", f"{rev}:{parent}")
        before = schema_state(db)
        try:
            assert_reversible(db, up, down)
            failure = None
        except AssertionError as e:
            failure = e
        results[rev] = (failure, schema_state(db) == before,
                        db.execute("SELECT lifeguard.migration_is_reversible(%s, %s)",
                                   (up, down)).fetchone()[0])
        with db.transaction():
            db.execute(up)
    return results


@pytest.mark.parametrize("rev", [r for _, r in REVISIONS if r != WRONG])
def test_correct_revision_is_reversible(checked, rev):
    failure, _, reversible = checked[rev]
    assert failure is None, str(failure)
    assert reversible


def test_wrong_downgrade_is_named(checked):
    failure, _, reversible = checked[WRONG]
    assert failure is not None, "the wrong downgrade of 0003 was not detected"
    message = str(failure)
    # the object and the attribute, with what up found and what down left
    assert "column public.users.email" in message, message
    assert 'type: before up "character varying(255)", after down "character varying(256)"' in message, message
    assert not reversible


def test_check_leaves_nothing_behind(checked):
    for rev, (_, unchanged, _) in checked.items():
        assert unchanged, f"checking {rev} changed the schema"


def test_database_reached_head(db, checked):
    assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0004"
    # the check never applied anything twice: one comments table, one index
    assert db.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'comments_post_id'"
                      ).fetchone()[0] == 1


def test_transaction_control_is_refused(db):
    up = "BEGIN;\nCREATE TABLE t_refused (a int);\nCOMMIT;"
    with pytest.raises(AssertionError, match="not_transactional"):
        assert_reversible(db, up, "DROP TABLE t_refused")
    assert db.execute("SELECT to_regclass('t_refused')").fetchone()[0] is None
