"""Python's cyclic garbage collector in a web worker.

After its first request a worker holds ~150,000 long-lived objects (Django, the models, the URL resolvers, the
compiled templates, the translations, the kept option lists). The collector's oldest generation walks all of them,
~50 ms each time at scale 100, about once every 30 list pages. Frozen after the first request (`gc.freeze()`) they
are no longer walked; each request's own objects still are. A larger first threshold makes the young collections
fewer (two or three per list page at the default 700 allocations).
"""

import gc

from django.core.signals import request_finished

YOUNG_THRESHOLD = 20_000
_UID = "core-collector-freeze"


def _freeze(**kwargs) -> None:
    request_finished.disconnect(dispatch_uid=_UID)
    gc.collect()
    gc.freeze()


def freeze_after_first_request() -> None:
    """For a web worker's entry point (config/wsgi.py): the objects alive after the first request are frozen."""
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    request_finished.connect(_freeze, weak=False, dispatch_uid=_UID)
