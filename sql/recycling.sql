--
-- recycling, events, alerts, history and advice: the SQL API
--
\set SHOW_CONTEXT never

-- bad input: clear errors
SELECT lifeguard.recycle(pg_backend_pid());
SELECT lifeguard.recycle(-1);
SELECT lifeguard.recycle(0);
SELECT lifeguard.recycle(1, -5);
SELECT lifeguard.recycle(NULL);
-- a pid that is not a counted client backend
SELECT lifeguard.recycle(1);
-- an application with no backend: nobody asked
SELECT lifeguard.recycle_application('no such application');
SELECT lifeguard.recycle_application(NULL);

-- an idle session recycled on request, and the event it leaves
SELECT dblink_connect('victim', 'dbname=contrib_regression application_name=victim');
SELECT lifeguard.recycle(pid) AS ended FROM lifeguard.backends WHERE application_name = 'victim';
SELECT kind, application_name, usename = current_user AS same_user,
       detail ? 'connection_age_s' AS has_age
  FROM lifeguard.events WHERE application_name = 'victim';
SELECT recycled, connections FROM lifeguard.pool_stats WHERE application_name = 'victim';
SELECT dblink_disconnect('victim');

-- the shapes of the monitoring views and functions
SELECT status IN ('ok', 'warn', 'critical') AS valid_status, worker_alive, active_alerts
  FROM lifeguard.health();
SELECT count(*) AS alerts FROM lifeguard.alerts;
SELECT count(*) = 0 AS empty_chart FROM lifeguard.history_chart('1 second', 10)
 WHERE application_name = 'nobody';
SELECT DISTINCT metric FROM lifeguard.metrics
 WHERE metric LIKE 'lifeguard_server_%' OR metric IN ('lifeguard_worker_up', 'lifeguard_alerts_active')
 ORDER BY 1;
SELECT value FROM lifeguard.metrics WHERE metric = 'lifeguard_worker_up';
SELECT pg_typeof(diagnoses) AS diagnoses_type, arithmetic LIKE '%Little''s law%' AS explained
  FROM lifeguard.pool_advice LIMIT 1;
