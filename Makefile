# pg_lifeguard — PGXS build.
#
#   make && make install     build and install into the server found by pg_config
#   make test                install missing packages, build, install, run every suite
#   make demo                throwaway cluster with three applications and their numbers
#   make bench               ratios against a baseline measured in the same run
#
# The test, demo and bench targets install what they need (Debian packages)
# before PGXS is read, then call make again, so they work on a fresh machine.

EXTENSION = pg_lifeguard
MODULE_big = pg_lifeguard
OBJS = \
	src/pg_lifeguard.o \
	src/compat.o \
	src/shmem.o \
	src/quota.o \
	src/admission.o \
	src/activity.o \
	src/worker.o \
	src/views.o \
	src/recycle.o \
	src/workload.o \
	src/index_advisor.o \
	src/migration.o

# The install script is assembled from one fragment per feature
# (sql/install/NN_name.sql), in order, so each feature owns its SQL.
EXTVERSION = 1.0
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*--*.sql))
PGFILEDESC = "pg_lifeguard - per-application connection quotas and advice"

# pg_regress suites, sql/NAME.sql -> expected/NAME.out.  They need the
# library preloaded, so they run against the throwaway cluster test/run
# starts and never against a stock server.
REGRESS = setup pool_stats quotas
REGRESS_OPTS = --temp-config=test/lifeguard.conf --dbname=contrib_regression
NO_INSTALLCHECK = 1

PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK =

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
all install:
	@echo "PostgreSQL server headers not found: run 'make deps' (as root) or set PG_CONFIG" >&2; exit 1
endif

sql/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard sql/install/*.sql))
	( echo '/* $(EXTENSION)--$(EXTVERSION).sql: generated from sql/install/*.sql by make */'; \
	  echo; \
	  echo '-- complain if script is sourced in psql, rather than via CREATE EXTENSION'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	  for f in $^; do echo; echo "-- $$f"; cat $$f; done ) > $@

.PHONY: deps test demo bench

deps:
	@test/deps

test: deps
	$(MAKE) all
	$(MAKE) install
	test/run

demo: deps
	$(MAKE) all
	$(MAKE) install
	test/demo

bench: deps
	$(MAKE) all
	$(MAKE) install
	test/bench/run

# Used by test/run to learn the pg_regress schedule.
print-regress:
	@echo $(REGRESS)
print-regress-opts:
	@echo $(REGRESS_OPTS)
