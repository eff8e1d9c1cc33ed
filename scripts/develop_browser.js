// Headless Chromium logged in to Home Assistant, for scripts/develop's screenshots.
//
// launch() starts Debian's /usr/bin/chromium (or $CHROMIUM) through playwright-core;
// loggedIn(browser, tokens, viewport) gives a context whose pages start with the tokens in
// localStorage["hassTokens"] (so no login form); openLoggedIn(page, url) fails clearly when
// Home Assistant shows its login page anyway.
"use strict";
const { chromium } = require("playwright-core");

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout: 60000,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

async function loggedIn(browser, tokens, options) {
  const context = await browser.newContext(options);
  await context.addInitScript((t) => {
    window.localStorage.setItem("hassTokens", JSON.stringify(t));
  }, tokens);
  return context;
}

async function openLoggedIn(page, url) {
  await page.goto(url, { waitUntil: "load", timeout: 60000 });
  if (page.url().includes("/auth/authorize")) {
    throw new Error("Home Assistant showed its login page: the stored tokens were not accepted");
  }
}

module.exports = { launch, loggedIn, openLoggedIn };
