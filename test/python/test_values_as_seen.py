"""Values as seen, through the extended protocol: psycopg 3 binds its
parameters ($1, $2) instead of writing literals, so the sampled statement's
text has placeholders and its values come from the bound parameters.
index_advice costs it over those values, as the role that ran it: the rare
status the application asks for needs (status, created_at), where the
statistics' most common value and the generic plan ask for more."""
import psycopg

QUERY = ("SELECT count(*) FROM (SELECT id FROM vs_tasks WHERE status = %s"
         " ORDER BY created_at LIMIT %s) s")


def test_bound_parameters_are_the_values_advice_uses(pg, admin):
    admin.execute("DROP TABLE IF EXISTS vs_tasks")
    admin.execute("CREATE TABLE vs_tasks (id int PRIMARY KEY, status text, created_at timestamptz)")
    admin.execute("""INSERT INTO vs_tasks
        SELECT g, CASE WHEN g % 1000 = 0 THEN 'pending'
                       WHEN g % 10 = 0 THEN 'failed' ELSE 'done' END,
               '2026-01-01'::timestamptz - g * interval '1 minute'
          FROM generate_series(1, 200000) g""")
    admin.execute("ANALYZE vs_tasks")
    admin.execute("SELECT lifeguard.reset_predicate_stats()")
    try:
        with psycopg.connect(host=pg["PGHOST"], port=pg["PGPORT"], user=pg["PGUSER"],
                             dbname=pg["PGDATABASE"], autocommit=True,
                             application_name="values-as-seen") as app:
            app.execute("SET lifeguard.predicate_sample_rate = 1")
            for status in ("pending", "pending", "pending", "failed"):
                assert app.execute(QUERY, (status, 50)).fetchone()[0] == 50
        rows = admin.execute(
            "SELECT w.query, a.index_statements, a.confidence, a.errors,"
            "       g.index_statements"
            "  FROM lifeguard._workload_queries() w,"
            "       lifeguard._advise_sampled(w.userid, w.queryid) a,"
            "       lifeguard.advise_indexes(w.query) g"
            " WHERE w.query LIKE '%vs_tasks%'").fetchall()
        assert len(rows) == 1
        query, seen, confidence, errors, generic = rows[0]
        # placeholders of the extended protocol, not literals
        assert "status = $1" in query and "LIMIT $2" in query
        assert errors == []
        assert seen == ["CREATE INDEX ON public.vs_tasks USING btree (status, created_at)"]
        assert confidence == "high"
        # advise_indexes given the text of one's own statement: the same values
        assert generic == seen
    finally:
        admin.execute("DROP TABLE vs_tasks")
        admin.execute("SELECT lifeguard.reset_predicate_stats()")
