from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import broker_status, database_status
from core.home import panels_for


@never_cache
@require_GET
def healthz(request):
    database = database_status()
    broker = broker_status()
    healthy = database == "ok" and broker in ("ok", "eager")
    return JsonResponse({"status": "ok" if healthy else "error", "database": database, "broker": broker},
                        status=200 if healthy else 503)


@login_required
def home(request):
    """The role's start page. Each app contributes its own panels through core.context_processors."""
    return render(request, "core/home.html", {"home_panels": panels_for(request)})
