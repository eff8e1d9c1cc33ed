"""Drive a freshly started Home Assistant for scripts/develop (standard library only).

    python scripts/develop_ha.py wait  --url URL --pid PID [--timeout S]
    python scripts/develop_ha.py login --url URL --auth-file FILE [--remove-entries]
    python scripts/develop_ha.py setup --url URL --meter socket://127.0.0.1:N --auth-file FILE

`wait` returns once the frontend answers (which also means onboarding is loaded), failing early
when the Home Assistant process PID has died. `login` onboards or logs in like `setup`, waits for
Home Assistant to run, with --remove-entries deletes the integration's config entries (so that the
config flow can be walked to its end again in the frontend: a meter can only be added once), and
writes the tokens to FILE (without a device page URL).

`setup` onboards Home Assistant through its REST API (only the steps not done yet) or logs in when
it is already onboarded, adds a config entry for the meter through the integration's own config
flow (unless the domain already has one), waits for the entry and its sensors, prints what it
found and writes the tokens (in the form the frontend keeps in localStorage["hassTokens"]) plus
the device page URL to FILE for the screenshot helper.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

DOMAIN = "dlms"
USERNAME = "dev"
PASSWORD = "dev-password"  # a local development instance on 127.0.0.1 only
BAD_STATES = {"unknown", "unavailable"}


class Fail(Exception):
    """A clear, user-facing reason why the setup could not be completed."""


class HA:
    """Minimal Home Assistant REST client."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.client_id = self.url + "/"
        self.token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        form: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
        timeout: float = 120,
    ) -> tuple[int, Any]:
        headers = {}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            payload: Any = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        if status not in ok:
            raise Fail(f"{method} {path} answered HTTP {status}: {payload}")
        return status, payload

    def tokens(self, code: str) -> dict[str, Any]:
        _, tok = self.request(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        )
        self.token = tok["access_token"]
        return dict(tok)


def wait(args: argparse.Namespace) -> None:
    deadline = time.monotonic() + args.timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        try:
            os.kill(args.pid, 0)
        except ProcessLookupError:
            raise Fail(f"Home Assistant (pid {args.pid}) exited while starting") from None
        try:
            with urllib.request.urlopen(args.url + "/manifest.json", timeout=5) as resp:
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as err:
            last = f"HTTP {err.code}"
        except OSError as err:
            last = str(getattr(err, "reason", err))
        time.sleep(2)
    raise Fail(f"Home Assistant did not answer on {args.url} within {args.timeout:.0f} s ({last})")


def onboard_or_login(ha: HA) -> dict[str, Any]:
    status, steps = ha.request("GET", "/api/onboarding", ok=(200, 404))
    done = {s["step"] for s in steps if s["done"]} if status == 200 else None
    tokens: dict[str, Any] | None = None
    if done is not None and "user" not in done:
        print(f"develop: onboarding: creating the owner user '{USERNAME}'")
        # (403: a previous run created the user but did not get to finish: log in instead)
        status, res = ha.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": ha.client_id,
                "name": "Developer",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
            ok=(200, 403),
        )
        tokens = ha.tokens(res["auth_code"]) if status == 200 else login(ha)
    else:
        tokens = login(ha)
    if done is not None:
        for step, body in (
            ("core_config", None),
            ("analytics", {}),
            ("integration", {"client_id": ha.client_id, "redirect_uri": ha.client_id}),
        ):
            if step not in done:
                print(f"develop: onboarding: {step}")
                ha.request("POST", f"/api/onboarding/{step}", body)
    return tokens


def login(ha: HA) -> dict[str, Any]:
    _, flow = ha.request(
        "POST",
        "/auth/login_flow",
        {
            "client_id": ha.client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": ha.client_id,
        },
    )
    _, res = ha.request(
        "POST",
        f"/auth/login_flow/{flow['flow_id']}",
        {"client_id": ha.client_id, "username": USERNAME, "password": PASSWORD},
    )
    if res.get("type") != "create_entry":
        raise Fail(f"login as '{USERNAME}' failed (password changed?): {res.get('errors') or res}")
    return ha.tokens(res["result"])


def wait_running(ha: HA, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    state = "?"
    while time.monotonic() < deadline:
        _, cfg = ha.request("GET", "/api/config")
        state = cfg.get("state", "?")
        if state == "RUNNING":
            return
        time.sleep(2)
    raise Fail(f"Home Assistant did not reach RUNNING within {timeout:.0f} s (state {state})")


def entries(ha: HA) -> list[dict[str, Any]]:
    _, res = ha.request("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    return list(res)


def add_entry(ha: HA, meter: str, *, push: bool = False) -> None:
    """Walk the config flow as a newcomer does: the port alone, and "Find the settings for
    me" (the first step's default). Detection is a progress step, fetched again until it is
    done; every later form takes its defaults (the summary, the client, the objects or the
    push meter's values). A form that shows errors, or repeats, stops the walk."""
    kind = "push meter" if push else "meter"
    _, step = ha.request(
        "POST",
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
        ok=(200, 201, 400, 404),
    )
    if not isinstance(step, dict) or step.get("type") != "form":
        raise Fail(f"starting the '{DOMAIN}' config flow gave: {json.dumps(step)}")
    flow = f"/api/config/config_entries/flow/{step['flow_id']}"
    _, step = ha.request("POST", flow, {"port": meter})
    seen: set[str] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        kind_of_step = step.get("type")
        if kind_of_step == "create_entry":
            print(f"develop: config entry created: {step['result'].get('title')}")
            return
        if kind_of_step == "abort" and step.get("reason") == "already_configured":
            print(f"develop: the {kind} has a config entry already")
            return
        if kind_of_step == "progress":
            time.sleep(1)
            _, step = ha.request("GET", flow)
            continue
        if kind_of_step != "form":
            break
        step_id = str(step.get("step_id"))
        if step.get("errors") or step_id in seen:
            raise Fail(
                f"the config flow showed another form (step '{step_id}', "
                f"errors {step.get('errors')}):\n{json.dumps(step, indent=2)}"
            )
        seen.add(step_id)
        placeholders = step.get("description_placeholders") or {}
        if step_id.startswith("found_"):
            print(f"develop: detection on {meter}: {json.dumps(placeholders)}")
        print(f"develop: config flow step '{step_id}': taking its defaults")
        _, step = ha.request("POST", flow, {})
    raise Fail(f"the config flow for the {kind} ended with: {json.dumps(step)}")


def template(ha: HA, text: str) -> Any:
    _, res = ha.request("POST", "/api/template", {"template": text})
    return json.loads(res) if isinstance(res, str) else res


def wait_sensors(ha: HA, timeout: float) -> tuple[list[str], list[dict[str, Any]]]:
    """Wait for the entry to load and for its sensors to have values; return devices, states."""
    deadline = time.monotonic() + timeout
    states: list[dict[str, Any]] = []
    entry_state = "?"
    while time.monotonic() < deadline:
        found = entries(ha)
        entry_state = ", ".join(str(e.get("state")) for e in found) or "no entry"
        if found and all(e.get("state") == "loaded" for e in found):
            ids = template(ha, f"{{{{ integration_entities('{DOMAIN}') | tojson }}}}")
            states = [ha.request("GET", f"/api/states/{i}")[1] for i in ids]
            if states and all(s["state"] not in BAD_STATES for s in states):
                devices = template(
                    ha,
                    f"{{{{ integration_entities('{DOMAIN}') | map('device_id') | reject('none')"
                    " | unique | list | tojson }}",
                )
                return list(devices), states
        time.sleep(2)
    detail = "\n".join(f"  {s['entity_id']}: {s['state']}" for s in states) or "  (no entities)"
    raise Fail(
        f"the {DOMAIN} entry/sensors were not ready within {timeout:.0f} s "
        f"(entry state: {entry_state}):\n{detail}"
    )


def write_auth(path: str, ha: HA, tokens: dict[str, Any], device_url: str | None) -> None:
    """The tokens in the form the frontend keeps in localStorage["hassTokens"], plus the device
    page URL; readable by the owner only (the tokens grant admin access)."""
    stored = {
        "hassUrl": ha.url,
        "clientId": ha.client_id,
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "token_type": tokens.get("token_type", "Bearer"),
        "expires_in": tokens["expires_in"],
        "expires": int(time.time() * 1000) + int(tokens["expires_in"]) * 1000,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"tokens": stored, "device_url": device_url}, fh)


def login_only(args: argparse.Namespace) -> None:
    ha = HA(args.url)
    tokens = onboard_or_login(ha)
    wait_running(ha, 300)
    if args.remove_entries:
        for entry in entries(ha):
            print(
                f"develop: removing the {DOMAIN} config entry '{entry.get('title')}' "
                "(the config flow in the frontend adds the meter again)"
            )
            ha.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
    write_auth(args.auth_file, ha, tokens, None)


def setup(args: argparse.Namespace) -> None:
    ha = HA(args.url)
    tokens = onboard_or_login(ha)
    wait_running(ha, 300)
    existing = entries(ha)
    if existing:
        titles = ", ".join(f"{e.get('title')} ({e.get('state')})" for e in existing)
        print(f"develop: a {DOMAIN} config entry already exists: {titles}")
    else:
        print(f"develop: adding the meter at {args.meter} through the config flow")
        add_entry(ha, args.meter)
    if args.push_meter:
        # The push flow finds out itself whether this meter has an entry (it listens first).
        print(f"develop: adding the push meter at {args.push_meter} through the config flow")
        add_entry(ha, args.push_meter, push=True)
    devices, states = wait_sensors(ha, args.timeout)
    for s in states:
        unit = s["attributes"].get("unit_of_measurement") or ""
        name = s["attributes"].get("friendly_name", s["entity_id"])
        print(f"develop:   {name}: {s['state']} {unit}".rstrip())
    device_url = f"{ha.url}/config/devices/device/{devices[0]}" if devices else ha.url
    print(f"develop: device page: {device_url}")
    write_auth(args.auth_file, ha, tokens, device_url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_wait = sub.add_parser("wait")
    p_wait.add_argument("--url", required=True)
    p_wait.add_argument("--pid", type=int, required=True)
    p_wait.add_argument("--timeout", type=float, default=600)
    p_login = sub.add_parser("login")
    p_login.add_argument("--url", required=True)
    p_login.add_argument("--auth-file", required=True)
    p_login.add_argument("--remove-entries", action="store_true")
    p_setup = sub.add_parser("setup")
    p_setup.add_argument("--url", required=True)
    p_setup.add_argument("--meter", required=True)
    p_setup.add_argument("--auth-file", required=True)
    p_setup.add_argument("--push-meter", help="a push simulator's URL: added as a second entry")
    p_setup.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    try:
        if args.command == "wait":
            wait(args)
        elif args.command == "login":
            login_only(args)
        else:
            setup(args)
    except Fail as err:
        print(f"develop: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"develop: cannot talk to Home Assistant at {args.url}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
