// Screenshots of the integration's config flow in the real frontend, for
// scripts/develop --flow-screenshots DIR.
//
//   NODE_PATH=.develop/node/node_modules node scripts/develop_flow_screenshots.js \
//       AUTH_FILE OUT_DIR PORT [DOMAIN] [MENU_TEXT] [PREFIX] [SETUP]
//
// AUTH_FILE is what `scripts/develop_ha.py login` wrote (the tokens go into the page's
// localStorage["hassTokens"], so no login form). Opens the add-integration dialog for DOMAIN
// (default dlms) through the frontend route /config/integrations/dashboard/add?domain=DOMAIN,
// confirms "Do you want to set up ...?", then walks the flow like a user who types PORT into the
// field named `port` and takes every other default:
//   every form step:  OUT_DIR/config-flow-<n>-<step id>.png, then Submit;
//   the end:          OUT_DIR/config-flow-<n>-created.png (entry created), or
//                     OUT_DIR/config-flow-<n>-abort-<reason>.png (then exits 1: e.g. the meter is
//                     already configured; nothing is created twice).
// Nothing here knows the flow's steps or fields besides `port`: the step id and type come from the
// flow API's answers the frontend receives. A form that comes back with errors, or a step that
// repeats, is saved as ...-<step id>-error.png and ends the walk (exit 1). A menu step is saved
// and answered by the option whose text contains MENU_TEXT (default: the first option). A
// progress step (listening to a meter) is saved while it runs. PREFIX (default config-flow)
// names the files, so that walks of several paths can sit side by side. SETUP, when given, is
// chosen in the first form's field named `setup` (dlms: "manual" types the settings; its
// default finds them). Screenshots are cropped
// to the dialog; the window grows taller when a step does not fit in 1280x720.
// PREFIX-<n>-*.png files already in OUT_DIR (an earlier walk) are deleted first. The first
// step is saved with the port typed in. Uses playwright-core with Debian's /usr/bin/chromium;
// gives up after 240 s in all.
"use strict";
const fs = require("fs");
const path = require("path");
const { launch, loggedIn, openLoggedIn } = require("./develop_browser");

const TOTAL_SECONDS = 240;
const STEP_MS = 90000; // one step: the submit may open a session with the meter
const MAX_STEPS = 12;
const WIDTH = 1280;
const MIN_HEIGHT = 720;
const MAX_HEIGHT = 2400;
const DIALOG = "dialog-data-entry-flow";

const say = (text) => console.log(`develop: ${text}`);
const slug = (text) =>
  String(text)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "step";

// Flow steps as the frontend receives them (POST .../config_entries/flow[/<id>], and GET
// .../flow/<id> once a progress step is done), in order.
function flowAnswers(page) {
  const answers = [];
  let wake = null;
  page.on("response", async (response) => {
    const { pathname } = new URL(response.url());
    const method = response.request().method();
    // POST starts and answers steps; after a progress step the frontend GETs the next one.
    const started = method === "POST" && /^\/api\/config\/config_entries\/flow(\/[^/]+)?$/.test(pathname);
    const fetched = method === "GET" && /^\/api\/config\/config_entries\/flow\/[^/]+$/.test(pathname);
    if (!started && !fetched) {
      return;
    }
    let body;
    try {
      body = await response.json();
    } catch {
      return;
    }
    if (body && typeof body === "object" && body.type) {
      // A progress step that shows its current attempt makes the frontend fetch the flow
      // more than once: a fetch of the step already seen is not a new answer.
      const last = answers[answers.length - 1];
      if (
        fetched &&
        last &&
        last.body.flow_id === body.flow_id &&
        last.body.step_id === body.step_id &&
        last.body.type === body.type
      ) {
        return;
      }
      answers.push({ status: response.status(), body });
      if (wake) wake();
    }
  });
  return {
    // The next answer after the first `seen` ones (waits up to `ms`).
    async next(seen, ms) {
      const deadline = Date.now() + ms;
      while (answers.length <= seen) {
        const left = deadline - Date.now();
        if (left <= 0) return null;
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 500));
        });
        wake = null;
      }
      return answers[seen];
    },
  };
}

// No running (finite) animations anywhere, fonts loaded, no HTTP request pending for 500 ms.
async function settle(page) {
  await page.waitForLoadState("networkidle", { timeout: 15000 }).catch(() => {});
  await page
    .waitForFunction(
      () =>
        document.fonts.status === "loaded" &&
        document
          .getAnimations()
          .every(
            (a) =>
              a.playState !== "running" ||
              !Number.isFinite(a.effect?.getComputedTiming?.().endTime ?? Infinity),
          ),
      null,
      { timeout: 10000, polling: 100 },
    )
    .catch(() => {});
  await page.waitForTimeout(700);
}

// The dialog's visible box; grows the window while the dialog's content scrolls (cut off).
async function dialogBox(page) {
  const surface = page.locator(`${DIALOG} wa-dialog [part~="dialog"]`).first();
  const measure = () =>
    page.evaluate((dialogTag) => {
      // Any scrolled element inside the flow dialog (its shadow roots included).
      const host = (function find(root) {
        for (const el of root.querySelectorAll("*")) {
          if (el.localName === dialogTag) return el;
          if (el.shadowRoot) {
            const hit = find(el.shadowRoot);
            if (hit) return hit;
          }
        }
        return null;
      })(document);
      let hidden = 0;
      (function walk(root) {
        for (const el of root.querySelectorAll("*")) {
          const style = getComputedStyle(el);
          if (/(auto|scroll)/.test(style.overflowY) && el.clientHeight > 0) {
            hidden = Math.max(hidden, el.scrollHeight - el.clientHeight);
          }
          if (el.shadowRoot) walk(el.shadowRoot);
        }
      })(host ? host.shadowRoot || host : document);
      return hidden;
    }, DIALOG);
  let size = page.viewportSize();
  for (let i = 0; i < 6; i++) {
    const hidden = await measure();
    if (hidden <= 1 || size.height >= MAX_HEIGHT) break;
    size = { width: WIDTH, height: Math.min(MAX_HEIGHT, size.height + hidden + 40) };
    await page.setViewportSize(size);
    await settle(page);
  }
  const box = (await surface.count()) ? await surface.boundingBox() : null;
  if (!box) return null;
  const margin = 12;
  const x = Math.max(0, Math.floor(box.x - margin));
  const y = Math.max(0, Math.floor(box.y - margin));
  return {
    x,
    y,
    width: Math.min(size.width - x, Math.ceil(box.width + 2 * margin)),
    height: Math.min(size.height - y, Math.ceil(box.height + 2 * margin)),
  };
}

async function shoot(page, outDir, name) {
  await settle(page);
  const clip = await dialogBox(page);
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot(clip ? { path: file, clip } : { path: file });
  say(`flow screenshot ${file}${clip ? "" : " (the whole window: no dialog box found)"}`);
  if (page.viewportSize().height !== MIN_HEIGHT) {
    await page.setViewportSize({ width: WIDTH, height: MIN_HEIGHT });
  }
  return file;
}

// Types PORT into the form field named `port`: the serial port picker offers "enter manually",
// which shows a text field; a plain text field is filled directly.
async function fillPort(page, port) {
  const marked = await page.evaluate((dialogTag) => {
    const hits = [];
    (function walk(root, inDialog) {
      for (const el of root.querySelectorAll("*")) {
        const inside = inDialog || el.localName === dialogTag;
        if (inside && el.localName === "ha-selector" && el.name === "port") hits.push(el);
        if (el.shadowRoot) walk(el.shadowRoot, inside);
      }
    })(document, false);
    hits.forEach((el) => el.setAttribute("data-develop-field", "port"));
    return hits.length;
  }, DIALOG);
  if (!marked) throw new Error("the first step has no field named 'port'");
  const field = page.locator('ha-selector[data-develop-field="port"]').first();
  const input = field.locator("input").first();
  if (!(await input.isVisible().catch(() => false))) {
    // The serial port picker (Home Assistant's usb integration is loaded): its "enter manually"
    // entry, as the picker itself reports a choice.
    const picked = await field.evaluate((el) => {
      const find = (root) => {
        for (const child of root.querySelectorAll("*")) {
          if (child.localName === "ha-generic-picker") return child;
          if (child.shadowRoot) {
            const hit = find(child.shadowRoot);
            if (hit) return hit;
          }
        }
        return null;
      };
      const picker = find(el.shadowRoot || el);
      if (!picker) return false;
      picker.dispatchEvent(
        new CustomEvent("value-changed", { detail: { value: "__manual_entry__" }, bubbles: true }),
      );
      return true;
    });
    if (picked) await input.waitFor({ state: "visible", timeout: 10000 }).catch(() => {});
  }
  if (await input.isVisible().catch(() => false)) {
    await input.fill(port);
    await input.evaluate((el) => el.blur()); // as a user leaving the field (no focus ring)
  } else {
    // Last resort: the field reports the value itself, as any selector does.
    await field.evaluate((el, value) => {
      el.dispatchEvent(
        new CustomEvent("value-changed", { detail: { value }, bubbles: true, composed: true }),
      );
    }, port);
  }
  say(`typed ${port} into the field 'port'`);
}

// Sets the form field NAME to VALUE the way its selector reports a choice.
async function chooseField(page, name, value) {
  const found = await page.evaluate(
    ([dialogTag, fieldName, fieldValue]) => {
      let hit = null;
      (function walk(root, inDialog) {
        for (const el of root.querySelectorAll("*")) {
          const inside = inDialog || el.localName === dialogTag;
          if (inside && el.localName === "ha-selector" && el.name === fieldName) hit = el;
          if (el.shadowRoot) walk(el.shadowRoot, inside);
        }
      })(document, false);
      if (!hit) return false;
      hit.dispatchEvent(
        new CustomEvent("value-changed", {
          detail: { value: fieldValue },
          bubbles: true,
          composed: true,
        }),
      );
      return true;
    },
    [DIALOG, name, value],
  );
  if (!found) throw new Error(`the first step has no field named '${name}'`);
  say(`chose ${value} in the field '${name}'`);
}

async function main() {
  const [
    authFile,
    outDir,
    port,
    domain = "dlms",
    menuText = "",
    prefix = "config-flow",
    setup = "",
  ] = process.argv.slice(2);
  if (!authFile || !outDir || !port) {
    throw new Error("usage: develop_flow_screenshots.js AUTH_FILE OUT_DIR PORT [DOMAIN]");
  }
  fs.mkdirSync(outDir, { recursive: true });
  // Screenshots of an earlier walk (the flow may have had other steps then).
  for (const name of fs.readdirSync(outDir)) {
    if (name.startsWith(`${prefix}-`) && /-\d+-.*\.png$/.test(name)) {
      fs.rmSync(path.join(outDir, name));
    }
  }
  const { tokens } = JSON.parse(fs.readFileSync(authFile, "utf8"));
  const browser = await launch();
  try {
    const context = await loggedIn(browser, tokens, {
      viewport: { width: WIDTH, height: MIN_HEIGHT },
      reducedMotion: "reduce",
    });
    const page = await context.newPage();
    const answers = flowAnswers(page);
    const url = `${tokens.hassUrl}/config/integrations/dashboard/add?domain=${domain}`;
    say(`opening ${url}`);
    await openLoggedIn(page, url);
    // "Do you want to set up <integration>?" (only for integrations without a brand page).
    const confirm = page.locator("dialog-box ha-button[slot=primaryAction]").first();
    const flowDialog = page
      .locator(`${DIALOG} step-flow-form, ${DIALOG} step-flow-menu, ${DIALOG} step-flow-abort`)
      .first();
    await Promise.race([
      confirm.waitFor({ state: "visible", timeout: 60000 }),
      flowDialog.waitFor({ state: "visible", timeout: 60000 }),
    ]).catch(() => {
      throw new Error(`neither a confirmation nor the config flow dialog showed up at ${url}`);
    });
    if (await confirm.isVisible().catch(() => false)) {
      await settle(page);
      await confirm.click();
    }

    let seen = 0;
    let portTyped = false;
    const stepsSeen = new Set();
    for (let n = 1; n <= MAX_STEPS; n++) {
      const answer = await answers.next(seen, STEP_MS);
      if (!answer) throw new Error(`no answer from the config flow within ${STEP_MS / 1000} s`);
      seen += 1;
      const step = answer.body;
      if (answer.status >= 400 || step.type === undefined) {
        throw new Error(`the config flow answered HTTP ${answer.status}: ${JSON.stringify(step)}`);
      }
      if (step.type === "menu") {
        const menu = page.locator(`${DIALOG} step-flow-menu`).first();
        await menu.waitFor({ state: "visible", timeout: 30000 });
        await shoot(page, outDir, `${prefix}-${n}-${slug(step.step_id)}`);
        const items = menu.locator("ha-md-list-item, ha-list-item, mwc-list-item");
        const choice = menuText ? items.filter({ hasText: menuText }).first() : items.first();
        await choice.click();
        say(`step ${n} '${step.step_id}': chose ${menuText || "the first option"}`);
        continue;
      }
      if (step.type === "form") {
        const id = slug(step.step_id);
        await page
          .locator(`${DIALOG} step-flow-form`)
          .first()
          .waitFor({ state: "visible", timeout: 30000 });
        // The form on screen is this step's (a submit re-renders the same element).
        await page
          .waitForFunction(
            ([tag, stepId, flowId]) => {
              const find = (root) => {
                for (const el of root.querySelectorAll("*")) {
                  if (el.localName === tag) return el;
                  if (el.shadowRoot) {
                    const hit = find(el.shadowRoot);
                    if (hit) return hit;
                  }
                }
                return null;
              };
              const form = find(document);
              return form && form.step && form.step.step_id === stepId && form.step.flow_id === flowId;
            },
            ["step-flow-form", step.step_id, step.flow_id],
            { timeout: 30000, polling: 200 },
          )
          .catch(() => {});
        const errors = step.errors && Object.keys(step.errors).length ? step.errors : null;
        if (errors || stepsSeen.has(step.step_id)) {
          await shoot(page, outDir, `${prefix}-${n}-${id}-error`);
          throw new Error(
            `step '${step.step_id}' came back${errors ? ` with errors ${JSON.stringify(errors)}` : " again"}`,
          );
        }
        stepsSeen.add(step.step_id);
        if (!portTyped) {
          await fillPort(page, port);
          if (setup) await chooseField(page, "setup", setup);
          portTyped = true;
        }
        await shoot(page, outDir, `${prefix}-${n}-${id}`);
        await page.locator(`${DIALOG} ha-dialog-footer ha-button[slot=primaryAction]`).first().click();
        say(`step ${n} '${step.step_id}': submitted`);
      } else if (step.type === "create_entry") {
        const created = page.locator(`${DIALOG} step-flow-create-entry`).first();
        await created.waitFor({ state: "visible", timeout: 30000 });
        // The device(s) of the new entry appear once the entry has set up.
        await created.locator("ha-area-picker").first().waitFor({ timeout: 20000 }).catch(() => {});
        await shoot(page, outDir, `${prefix}-${n}-created`);
        say(`config entry created: ${step.title}`);
        return;
      } else if (step.type === "abort") {
        await page.locator(`${DIALOG} step-flow-abort`).first().waitFor({ timeout: 30000 }).catch(() => {});
        await shoot(page, outDir, `${prefix}-${n}-abort-${slug(step.reason)}`);
        throw new Error(
          `the config flow aborted: ${step.reason}` +
            (step.reason === "already_configured"
              ? " (remove the existing entry first: scripts/develop --flow-screenshots does)"
              : ""),
        );
      } else if (step.type === "progress" || step.type === "external") {
        say(`step ${n}: ${step.type} '${step.step_id}': waiting`);
        await shoot(page, outDir, `${prefix}-${n}-${slug(step.step_id)}`);
      } else {
        await shoot(page, outDir, `${prefix}-${n}-${slug(step.type)}`);
        throw new Error(`the config flow showed a '${step.type}' step, which this walker does not answer`);
      }
    }
    throw new Error(`the config flow did not end within ${MAX_STEPS} steps`);
  } finally {
    await browser.close();
  }
}

const watchdog = setTimeout(() => {
  console.error(`develop: the config flow screenshots timed out after ${TOTAL_SECONDS} s`);
  process.exit(1);
}, TOTAL_SECONDS * 1000);
main()
  .then(() => clearTimeout(watchdog))
  .catch((err) => {
    console.error(`develop: config flow screenshots failed: ${err.message}`);
    process.exit(1);
  });
