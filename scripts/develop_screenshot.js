// Screenshot of the meter's device page for scripts/develop --screenshot PATH.
//
//   NODE_PATH=.develop/node/node_modules node scripts/develop_screenshot.js AUTH_FILE OUT.png
//
// AUTH_FILE is what scripts/develop_ha.py setup wrote: the tokens, which go into the page's
// localStorage["hassTokens"] before the frontend starts (so no login form), and the device page URL.
// Uses playwright-core (from npm) with Debian's /usr/bin/chromium; gives up after 90 s.
"use strict";
const fs = require("fs");
const { launch, loggedIn, openLoggedIn } = require("./develop_browser");

async function main() {
  const [authFile, out] = process.argv.slice(2);
  const { tokens, device_url: deviceUrl } = JSON.parse(fs.readFileSync(authFile, "utf8"));
  const browser = await launch();
  try {
    const context = await loggedIn(browser, tokens, { viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    await openLoggedIn(page, deviceUrl);
    // The device page groups entities in cards; the sensors are in the "Sensors" card.
    await page.getByText("Sensors", { exact: true }).first().waitFor({ timeout: 60000 });
    await page.waitForTimeout(3000); // let state values and icons render
    await page.screenshot({ path: out });
    console.log(`develop: screenshot of ${deviceUrl} written to ${out}`);
  } finally {
    await browser.close();
  }
}

const watchdog = setTimeout(() => {
  console.error("develop: screenshot timed out after 90 s");
  process.exit(1);
}, 90000);
main()
  .then(() => clearTimeout(watchdog))
  .catch((err) => {
    console.error(`develop: screenshot failed: ${err.message}`);
    process.exit(1);
  });
