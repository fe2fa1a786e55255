# Throwaway PostgreSQL clusters for tests, the demo and the bench.
#
# Source this file.  PostgreSQL refuses to run as root: every server runs as
# $LG_RUNAS (postgres) in a temporary directory that user owns, on a free
# port, listening only on a unix socket in that directory.  lg_cleanup
# (installed as an EXIT trap by lg_workdir) stops every cluster started.

LG_RUNAS=${LG_RUNAS:-postgres}
LG_BINDIR=$(pg_config --bindir)
LG_SRC=${LG_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LG_CLUSTERS=()
LG_NEXT_PORT=${LG_NEXT_PORT:-55500}

as_pg() { runuser -u "$LG_RUNAS" -- env PATH="$LG_BINDIR:$PATH" "$@"; }

lg_cleanup() {
	local d
	for d in "${LG_CLUSTERS[@]}"; do
		as_pg pg_ctl -D "$d" -m immediate stop >/dev/null 2>&1 || true
	done
	if [ -n "${LG_WORK:-}" ] && [ "${KEEP_TMP:-0}" != 1 ]; then
		rm -rf "$LG_WORK"
	fi
}

# lg_workdir: create $LG_WORK, owned by the unprivileged user
lg_workdir() {
	LG_WORK=$(mktemp -d /tmp/pg_lifeguard.XXXXXX)
	chown "$LG_RUNAS" "$LG_WORK"
	chmod 755 "$LG_WORK"
	trap lg_cleanup EXIT
}

# lg_port: next free TCP port into $LG_PORT (checked against listeners
# and against ports handed out earlier in this shell)
lg_port() {
	while ss -ltnH 2>/dev/null | awk '{print $4}' | grep -q ":$LG_NEXT_PORT\$" ||
		[ -e "$LG_WORK/.s.PGSQL.$LG_NEXT_PORT" ]; do
		LG_NEXT_PORT=$((LG_NEXT_PORT + 1))
	done
	LG_PORT=$LG_NEXT_PORT
	LG_NEXT_PORT=$((LG_NEXT_PORT + 1))
}

# lg_cluster_start NAME [extra postgresql.conf lines...]
# Starts a cluster with the extension preloaded (test/lifeguard.conf);
# sets LG_PORT_<NAME> and LG_DATA_<NAME>.
lg_cluster_start() {
	local name=$1
	shift
	local d="$LG_WORK/$name"
	lg_port
	as_pg initdb -A trust --no-sync -E UTF8 --locale=C -D "$d" >/dev/null
	{
		cat "$LG_SRC/test/lifeguard.conf"
		echo "port = $LG_PORT"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$LG_WORK'"
		local l
		for l in "$@"; do echo "$l"; done
	} >>"$d/postgresql.conf"
	if ! as_pg pg_ctl -D "$d" -l "$d/server.log" -w start >/dev/null; then
		echo "could not start cluster $name:" >&2
		tail -n 20 "$d/server.log" >&2
		return 1
	fi
	LG_CLUSTERS+=("$d")
	eval "LG_PORT_$name=$LG_PORT"
	eval "LG_DATA_$name=$d"
}

# lg_psql NAME DBNAME psql-args...
lg_psql() {
	local port_var="LG_PORT_$1"
	local db=$2
	shift 2
	as_pg psql -X -v ON_ERROR_STOP=1 -h "$LG_WORK" -p "${!port_var}" -d "$db" "$@"
}

# lg_cluster_with_db NAME DB [extra conf lines...]
# A cluster whose lifeguard.database is DB, with the extension created
# there and the server restarted, so the worker is connected from the
# start (it cannot connect to a database that does not exist yet).
lg_cluster_with_db() {
	local name=$1 db=$2
	shift 2
	lg_cluster_start "$name" "lifeguard.database = '$db'" "$@" || return 1
	local port_var="LG_PORT_$name" data_var="LG_DATA_$name"
	as_pg createdb -h "$LG_WORK" -p "${!port_var}" "$db" || return 1
	lg_psql "$name" "$db" -q -c 'CREATE EXTENSION pg_lifeguard' >/dev/null || return 1
	as_pg pg_ctl -D "${!data_var}" -l "${!data_var}/server.log" -w restart >/dev/null
}
