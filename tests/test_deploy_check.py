"""`manage.py check --deploy` is clean in the production configuration."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_has_no_warnings():
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for this process; production never has it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "x8Yq!z#2Lm9@Wp4$Rt7&Vb1*Nc6^Hd3(Jf5)Gs0" + "e" * 20,
        "DJANGO_ALLOWED_HOSTS": "sjalvklart.example.se",
        # check --deploy does not connect; these only need to name PostgreSQL and Redis.
        "DATABASE_URL": "postgres://app:app@127.0.0.1:1/app",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_sends_security_headers(client, settings, db):
    settings.SECURE_SSL_REDIRECT = False
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
