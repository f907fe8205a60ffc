"""Print the mutation score per module from mutmut's results (after scripts/mutation.sh)."""

import fnmatch
import subprocess
import sys
from collections import Counter, defaultdict

patterns = sys.argv[1:] or ["*"]
out = subprocess.run([".venv/bin/mutmut", "results", "--all", "true"], capture_output=True, text=True,  # noqa: S603
                     check=True).stdout
by_module: dict[str, Counter] = defaultdict(Counter)
survivors = []
for line in out.splitlines():
    name, _, status = line.strip().rpartition(": ")
    if not name or not any(fnmatch.fnmatch(name, p) for p in patterns):
        continue
    module = name.split(".x_")[0].split(".xǁ")[0]
    by_module[module][status] += 1
    if status in ("survived", "timeout", "suspicious"):
        survivors.append(name)

print(f"{'module':32} {'mutants':>8} {'killed':>7} {'survived':>9} {'other':>6} {'score':>7}")
total = Counter()
for module, counts in sorted(by_module.items()):
    ran = sum(n for status, n in counts.items() if status not in ("not checked", "skipped"))
    if not ran:
        continue
    killed = counts["killed"]
    other = ran - killed - counts["survived"]
    total.update({"ran": ran, "killed": killed, "survived": counts["survived"], "other": other})
    print(f"{module:32} {ran:8} {killed:7} {counts['survived']:9} {other:6} {killed / ran:7.1%}")
if total["ran"]:
    print(f"{'total':32} {total['ran']:8} {total['killed']:7} {total['survived']:9} {total['other']:6} "
          f"{total['killed'] / total['ran']:7.1%}")
print("\nsurvivors (inspect with: .venv/bin/mutmut show NAME):")
for name in survivors:
    print("  ", name)
