import os

from django.core.wsgi import get_wsgi_application

from core.collector import freeze_after_first_request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()
freeze_after_first_request()
