"""The npm checkers' lock file names no hosts (like requirements/lock.txt), and installs pin exact versions."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_package_lock_has_no_download_addresses():
    text = (ROOT / "package-lock.json").read_text(encoding="utf-8")
    lock = json.loads(text)
    assert "http://" not in text and "https://" not in text
    assert not [name for name, entry in lock["packages"].items() if "resolved" in entry]
    assert all(entry.get("integrity") for name, entry in lock["packages"].items() if name)


def test_npmrc_keeps_it_so_and_runs_no_install_scripts():
    settings = dict(line.split("=", 1) for line in (ROOT / ".npmrc").read_text().split() if "=" in line)
    assert settings["omit-lockfile-registry-resolved"] == "true"
    assert settings["ignore-scripts"] == "true"
    versions = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    assert set(versions) == {"pa11y", "vnu-jar"} and all(v[0].isdigit() for v in versions.values())
