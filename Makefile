# The two README commands: `make run` and `make test`. The logic lives in scripts/.
.PHONY: run test lock install

run:
	scripts/run.sh

test:
	scripts/test.sh

lock:
	scripts/lock.sh

install:
	scripts/bootstrap.sh
