"""Start the Celery worker: `python -m config.worker [options of celery worker]`.

The same command as `celery -A config worker [options]` (Celery's own `worker` command, its options and its
defaults), without the rest of Celery's command line: `celery` imports every subcommand first, and its `amqp`
shell imports click-repl with prompt_toolkit (≈ 8 MB of the main process, docs/benchmarks.md § 21). A prefork
worker's pool children are forked from that process, so each of them carried it too, though no worker uses a
shell. Celery's other commands (`celery -A config inspect ping`, `beat`, …) are unchanged.

Celery's global options (`-A`, `--broker`, …) are not taken here: the app is config.celery's, configured by the
settings. `--skip-checks` is the default already (config/celery.py). Not `--detach` (it would start `celery` with
these arguments): run it in the foreground, as docker-compose.yml does.
"""

import sys

from celery.bin.base import CLIContext
from celery.bin.worker import worker

from config.celery import app


def main(argv: list[str] | None = None) -> None:
    worker.main(args=sys.argv[1:] if argv is None else argv, prog_name="celery worker",
                obj=CLIContext(app=app, no_color=False, workdir=None))


if __name__ == "__main__":
    main()
