// pa11y (HTML_CodeSniffer, WCAG 2.1 AA) over the files named on the command line, in one browser.
// Usage: node pa11y_run.mjs /usr/bin/chromium FILE...   Prints {file: [issue, …]} as JSON (errors only).
import pa11y from "pa11y";
import puppeteer from "puppeteer";

const [executablePath, ...files] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--allow-file-access-from-files"],
});
const report = {};
try {
  for (const file of files) {
    const page = await browser.newPage();
    const result = await pa11y(`file://${file}`, {
      browser, page, runners: ["htmlcs"], standard: "WCAG2AA", includeNotices: false,
      includeWarnings: false, timeout: 60000,
    });
    report[file] = result.issues.filter((issue) => issue.type === "error")
      .map(({ code, message, selector }) => ({ code, message, selector }));
    await page.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report));
