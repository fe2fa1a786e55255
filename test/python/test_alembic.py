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
CI test application teams write, made exact; copy alembic_sql() and
assert_reversible() into your own suite.

The alembic_version bookkeeping stays in the scripts on purpose.  It is
symmetric: base -> R creates alembic_version and inserts R, R -> base
deletes the row and drops the table; P -> R and R -> P are two UPDATEs.
Row changes are not schema, and the check rolls them back anyway, so it
adds nothing but warnings (data_loss for DROP TABLE alembic_version, lock
info) that assert_reversible ignores.  Keeping it means the checked script
is byte for byte what runs in production, and applying the upgrade for
real leaves the version row where the next revision expects it.
"""
import os
import re
import subprocess

import pytest

psycopg = pytest.importorskip("psycopg")
pytest.importorskip("alembic")

PYTHON = "/usr/bin/python3"  # the interpreter that runs alembic
SRC = os.environ.get("LIFEGUARD_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
PROJECT = os.path.abspath(os.path.join(SRC, "examples", "alembic"))
INI = os.path.join(PROJECT, "alembic.ini")
REVISIONS = [("base", "0001"), ("0001", "0002"), ("0002", "0003"), ("0003", "0004")]
WRONG = "0003"
WRONG_OBJECT = "column public.users.email"
WRONG_DETAIL = 'type: before up "character varying(255)", after down "character varying(256)"'
DB = "alembic_check"

# kinds that mean "this downgrade does not undo this upgrade"; the others
# (lock, rewrite, data_loss, lint, sequence_consumed) are advice
FAILING_KINDS = ("not_reversible", "stairway_failed", "error", "not_transactional")


def alembic_sql(*args):
    """Render a migration step as SQL with Alembic's offline mode.

    env.py renders without BEGIN/COMMIT (transactional_ddl=False).  Alembic's
    default wraps the script in BEGIN; ... COMMIT;, which check_migration
    leaves out too (test_outer_transaction_is_stripped)."""
    out = subprocess.run([PYTHON, "-m", "alembic", "-c", INI, *args, "--sql"],
                         capture_output=True, text=True, cwd=PROJECT,
                         env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if out.returncode != 0:
        raise RuntimeError(f"alembic {' '.join(args)} --sql failed:\n{out.stderr}")
    return out.stdout


def assert_reversible(conn, up_sql, down_sql):
    """Raise AssertionError, one line per finding, when down does not undo up.

    Each line names the kind, the object (e.g. "column public.users.email")
    and the detail (the attribute with its value before up and after down,
    or the error message and SQLSTATE), and the step and statement."""
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
    """What the check must leave as it found it, from the catalogs alone:
    every relation, column, constraint and index of schema public, the
    number of relations in the database, and the alembic_version rows."""
    state = conn.execute("""
        SELECT (SELECT count(*) FROM pg_class),
               (SELECT array_agg(format('%s:%s', c.relname, c.relkind) ORDER BY c.relname)
                  FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace),
               (SELECT array_agg(format('%s.%s %s %s %s', c.relname, a.attname,
                                        format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                        pg_get_expr(d.adbin, d.adrelid))
                                 ORDER BY c.relname, a.attnum)
                  FROM pg_attribute a
                  JOIN pg_class c ON c.oid = a.attrelid
                  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
                   AND a.attnum > 0 AND NOT a.attisdropped),
               (SELECT array_agg(format('%s %s', conname, pg_get_constraintdef(oid)) ORDER BY conname)
                  FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
               (SELECT array_agg(indexdef ORDER BY indexname)
                  FROM pg_indexes WHERE schemaname = 'public'),
               to_regclass('public.alembic_version') IS NOT NULL""").fetchone()
    versions = None
    if state[-1]:
        versions = conn.execute("SELECT array_agg(version_num ORDER BY version_num)"
                                "  FROM public.alembic_version").fetchone()[0]
    return state + (versions,)


def current_revision(conn):
    if conn.execute("SELECT to_regclass('public.alembic_version')").fetchone()[0] is None:
        return "base"
    row = conn.execute("SELECT version_num FROM public.alembic_version").fetchone()
    return row[0] if row else "base"


def goto(conn, rev):
    """Bring the scratch database to revision rev, whatever state an earlier
    test left: rebuild schema public and apply the upgrade base:rev.  Never
    downgrades, so 0003's wrong downgrade is never applied for real."""
    with conn.transaction():
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        if rev != "base":
            conn.execute(alembic_sql("upgrade", f"base:{rev}"))
    assert current_revision(conn) == rev


@pytest.fixture(scope="module")
def alembic_cli():
    """Skip when the interpreter that runs alembic cannot import it."""
    probe = subprocess.run([PYTHON, "-c", "import alembic, sqlalchemy"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"{PYTHON} cannot import alembic: {probe.stderr.decode().strip()}")


@pytest.fixture(scope="module")
def db(pg, admin, alembic_cli):
    """A scratch database with pg_lifeguard, dropped afterwards."""
    admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {DB}")
    try:
        conn = psycopg.connect(host=pg["PGHOST"], port=pg["PGPORT"], user=pg["PGUSER"],
                               dbname=DB, autocommit=True, application_name="alembic-check")
        try:
            conn.execute("CREATE EXTENSION pg_lifeguard")
            yield conn
        finally:
            conn.close()
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def check(conn, parent, rev):
    """One revision, as a CI job does it: render both directions, check
    them, and return (AssertionError or None, migration_is_reversible,
    state unchanged by both calls, the upgrade SQL)."""
    up = alembic_sql("upgrade", f"{parent}:{rev}")
    down = alembic_sql("downgrade", f"{rev}:{parent}")
    before = schema_state(conn)
    try:
        assert_reversible(conn, up, down)
        failure = None
    except AssertionError as e:
        failure = e
    reversible = conn.execute("SELECT lifeguard.migration_is_reversible(%s, %s)",
                              (up, down)).fetchone()[0]
    return failure, reversible, schema_state(conn) == before, up


def test_offline_sql_has_no_transaction_control(alembic_cli):
    sql = alembic_sql("upgrade", "base:head") + alembic_sql("downgrade", "head:base")
    assert not re.search(r"^\s*(BEGIN|COMMIT|START TRANSACTION)\b", sql, re.M | re.I), sql
    assert "CREATE TABLE users" in sql and "DROP TABLE users" in sql


@pytest.mark.parametrize("parent,rev", [p for p in REVISIONS if p[1] != WRONG],
                         ids=[r for _, r in REVISIONS if r != WRONG])
def test_correct_revision_is_reversible(db, parent, rev):
    goto(db, parent)
    before = schema_state(db)
    up = alembic_sql("upgrade", f"{parent}:{rev}")
    down = alembic_sql("downgrade", f"{rev}:{parent}")
    assert_reversible(db, up, down)
    assert db.execute("SELECT lifeguard.migration_is_reversible(%s, %s)",
                      (up, down)).fetchone()[0] is True
    assert schema_state(db) == before, f"checking {rev} changed the database"


def test_wrong_downgrade_is_named(db):
    parent = dict((r, p) for p, r in REVISIONS)[WRONG]
    goto(db, parent)
    before = schema_state(db)
    up = alembic_sql("upgrade", f"{parent}:{WRONG}")
    down = alembic_sql("downgrade", f"{WRONG}:{parent}")
    # the object and the attribute, with what up found and what down left
    with pytest.raises(AssertionError,
                       match=re.escape(f"not_reversible: {WRONG_OBJECT} {WRONG_DETAIL}")) as exc:
        assert_reversible(db, up, down)
    # nothing else is reported: one finding, and no error from any step
    assert str(exc.value).count("\n") == 1, str(exc.value)
    assert db.execute("SELECT lifeguard.migration_is_reversible(%s, %s)",
                      (up, down)).fetchone()[0] is False
    assert schema_state(db) == before, "the check changed the database"
    assert db.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                      " WHERE attrelid = 'public.users'::regclass AND attname = 'email'"
                      ).fetchone()[0] == "character varying(255)"


def test_every_revision_in_order(db):
    """The CI loop: from an empty database, check each revision, then apply
    its upgrade for real so the next one starts from the right state."""
    goto(db, "base")
    failures = {}
    for parent, rev in REVISIONS:
        failure, reversible, unchanged, up = check(db, parent, rev)
        assert unchanged, f"checking {rev} changed the database"
        assert reversible == (failure is None), \
            f"{rev}: migration_is_reversible says {reversible}, check_migration says {failure}"
        if failure is not None:
            failures[rev] = str(failure)
        with db.transaction():
            db.execute(up)
        assert current_revision(db) == rev
    assert list(failures) == [WRONG], failures
    assert f"{WRONG_OBJECT} {WRONG_DETAIL}" in failures[WRONG]
    # the checks never applied anything twice: one comments table, one index
    assert db.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'comments_post_id'"
                      ).fetchone()[0] == 1


def test_transaction_control_is_refused(db):
    """Transaction control inside the script is refused, and nothing runs;
    only one outer BEGIN/COMMIT pair is left out."""
    goto(db, "base")
    up = "BEGIN;\nCREATE TABLE t_refused (a int);\nCOMMIT;\nBEGIN;\nCREATE INDEX ON t_refused (a);\nCOMMIT;"
    with pytest.raises(AssertionError, match="not_transactional") as exc:
        assert_reversible(db, up, "DROP TABLE t_refused")
    assert "statement 3)" in str(exc.value) and "statement 4)" in str(exc.value), str(exc.value)
    assert db.execute("SELECT to_regclass('t_refused')").fetchone()[0] is None


def alembic_wrapped(sql):
    """The script as Alembic writes it with transactional_ddl (its default
    for PostgreSQL): inside BEGIN; ... COMMIT;."""
    return "BEGIN;\n\n" + sql + "COMMIT;\n\n"


def findings(conn, up_sql, down_sql):
    return conn.execute(
        "SELECT step, kind, object_name, detail FROM lifeguard.check_migration(%s, %s)"
        " ORDER BY 1, 2, 3, 4", (up_sql, down_sql)).fetchall()


def test_outer_transaction_is_stripped(db):
    """Alembic's default offline output, BEGIN; ... COMMIT; around each
    script, is checked like the bare script: the same findings (statement
    numbers aside, which count the BEGIN), plus one info row per script
    saying the pair was left out; the wrong downgrade is still named."""
    for parent, rev in REVISIONS:
        goto(db, parent)
        before = schema_state(db)
        up = alembic_sql("upgrade", f"{parent}:{rev}")
        down = alembic_sql("downgrade", f"{rev}:{parent}")
        bare = findings(db, up, down)
        wrapped = findings(db, alembic_wrapped(up), alembic_wrapped(down))
        stripped = [f for f in wrapped if f[1] == "outer_transaction_stripped"]
        assert [f[0] for f in stripped] == ["down", "up"], wrapped
        assert [f for f in wrapped if f[1] != "outer_transaction_stripped"] == bare
        assert db.execute("SELECT lifeguard.migration_is_reversible(%s, %s)",
                          (alembic_wrapped(up), alembic_wrapped(down))).fetchone()[0] is (rev != WRONG)
        assert schema_state(db) == before, f"checking {rev} changed the database"
        if rev == WRONG:
            with pytest.raises(AssertionError, match=re.escape(f"not_reversible: {WRONG_OBJECT} {WRONG_DETAIL}")):
                assert_reversible(db, alembic_wrapped(up), alembic_wrapped(down))
