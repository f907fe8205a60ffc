// Drop the "funding" entries (sponsor pages) from package-lock.json: with .npmrc's
// omit-lockfile-registry-resolved the lock then names no hosts, like requirements/lock.txt.
import { readFileSync, writeFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
for (const entry of Object.values(lock.packages)) {
  delete entry.funding;
}
writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
