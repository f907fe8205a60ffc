"""WSGI entry of the browse benchmark: the product (config.wsgi) with the floor pages (bench/floor.py) in front.

    gunicorn floor_wsgi --pythonpath bench     # what bench/pages.py starts
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
settings.ROOT_URLCONF = "floor"
