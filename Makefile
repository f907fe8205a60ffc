# The two README commands: `make run` and `make test`. The logic lives in scripts/.
.PHONY: run test lock install mutation

run:
	scripts/run.sh

test:
	scripts/test.sh

lock:
	scripts/lock.sh

install:
	scripts/bootstrap.sh

# Mutation testing of the rule modules, on demand (not in CI): docs/mutation.md.
mutation:
	scripts/mutation.sh
