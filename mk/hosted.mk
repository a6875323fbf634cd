# The hosted machine's demo (arch/hosted/demo): `make run` until the EL2
# port takes it over (set RUN_TARGET in its own mk file; this file only
# provides the default), and `make test-demo`, which `make test` runs.

HOSTED_DEMO := $(HB)/run-demo
HOSTED_DEMO_OBJS := $(HB)/arch/hosted/demo/run_demo.o

$(HOSTED_DEMO): $(HOSTED_DEMO_OBJS) $(HOSTED_LIB)
	$(CC) -o $@ $(HOSTED_DEMO_OBJS) $(HOSTED_LIB) $(HOSTED_LIBS)

run-hosted: $(HOSTED_DEMO)
	$(HOSTED_DEMO)

RUN_TARGET ?= run-hosted
run: $(RUN_TARGET)

test-demo: $(HOSTED_DEMO)
	@$(HOSTED_DEMO) > $(HB)/run-demo.log 2>&1 || \
		{ cat $(HB)/run-demo.log; echo "test-demo: FAILED"; exit 1; }
	@echo "test-demo: hosted boot protocol demo as expected"
TESTS += test-demo
EXTRA_ALL += $(HOSTED_DEMO)

.PHONY: run-hosted test-demo
