# The mutation check (tests/mutation): one-line bugs planted across core/,
# each built once and run against the unit tests, the differential runner
# and (where marked) the stress test; every mutant must be killed or shown
# equivalent. Not part of `make test` (it takes about half an hour).
#
#   make mutation                   every mutant of tests/mutation/mutants.txt
#   make mutation MUTATION_ARGS=--only=ID,ID    some of them
#   make mutation-check             only check that every mutant still applies
#
# Workers build in build/mutation/w<N>; the report is build/mutation/report.md.

MUTATION_JOBS ?= 2
MUTATION_MODEL_CALLS ?= 20000
MUTATION_ARGS ?=

mutation: | $(DEPS_STAMP)
	$(PYTHON) tests/mutation/mutate.py --jobs $(MUTATION_JOBS) \
		--model-calls $(MUTATION_MODEL_CALLS) $(MUTATION_ARGS)

mutation-check:
	$(PYTHON) tests/mutation/mutate.py --check

.PHONY: mutation mutation-check
