"""The demo: Home Assistant with Media Request Tracker, following a simulated stack.

Run through `scripts/demo`. It starts the simulated Jellyseerr, Radarr, Sonarr,
qBittorrent, Jellyfin and Shoko (tests/simulator), starts Home Assistant from a fresh
configuration directory, finishes onboarding and adds the integration through Home
Assistant's own REST APIs (exactly what a user does in the UI), points the simulated
services' webhooks at it, and plays every scenario. Ctrl-C stops everything.

With `--real`, no simulator starts: Home Assistant is prepared the same way and the
integration is added from the UI against a real stack.
"""

import argparse
import asyncio
from collections.abc import Mapping
import contextlib
import os
from pathlib import Path
import shutil
import signal
import sys
from typing import Any

from aiohttp import ClientSession, ClientTimeout

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.simulator import SCENARIOS, Service, SimulatedStack  # noqa: E402
from tests.simulator.stack import PUSHING_SERVICES  # noqa: E402
from tests.simulator.webhooks import WebhookTarget  # noqa: E402

CONFIG_DIR = REPO / ".demo" / "config"
USERNAME = "demo"
PASSWORD = "demo-demo"  # noqa: S105 (a throwaway login for a local demo)
CONFIGURATION = """\
# Written by scripts/demo for one run; deleted and written again on the next.
homeassistant:
  name: Media Request Tracker demo
  time_zone: UTC
  country: US
  # The services post their webhooks to this address.
  internal_url: http://127.0.0.1:{port}
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
config:
history:
logbook:
logger:
  default: warning
  logs:
    custom_components.media_request_tracker: info
"""
DASHBOARD_PATH = "media-requests"
# Every state, so that finished requests stay in view during the demo.
DASHBOARD = {
    "title": "Media requests",
    "views": [
        {
            "title": "Requests",
            "path": "requests",
            "cards": [
                {
                    "type": "custom:media-request-card",
                    "title": "Household requests",
                    "states": [
                        "requested",
                        "approved",
                        "grabbing",
                        "downloading",
                        "downloaded",
                        "importing",
                        "anime_matching",
                        "available",
                        "failed",
                        "declined",
                        "removed",
                    ],
                    "max_rows": 20,
                }
            ],
        }
    ],
}
SERVICE_STEPS = (
    (Service.RADARR, "radarr"),
    (Service.SONARR, "sonarr"),
    (Service.QBITTORRENT, "qbittorrent"),
    (Service.JELLYFIN, "jellyfin"),
    (Service.SHOKO, "shoko"),
)
# Demo options: a stalled download is flagged after three minutes, not a day, and
# remediation fixes it (its steps then wait three minutes each, not half an hour).
OPTIONS = {"stall_hours": {"downloading": 0.05}, "remediation": "on"}
# The household: the simulated Jellyseerr's users, each linked to a person (the
# demo's own user is the person onboarding made, and Jellyseerr's admin).
PERSONS = ("Alice", "Bob")
PEOPLE = {"admin": "person.demo", "alice": "person.alice", "bob": "person.bob"}


def say(message: str) -> None:
    """Progress, on stderr (stdout stays clean)."""
    print(f"demo: {message}", file=sys.stderr, flush=True)


class HomeAssistantApi:
    """Just enough of Home Assistant's REST API to onboard and add the integration."""

    def __init__(self, session: ClientSession, base: str) -> None:
        """Talk to the instance at `base`."""
        self._session = session
        self._base = base
        self._headers: dict[str, str] = {}
        self.entry_id = ""

    async def async_wait_until_up(self, process: asyncio.subprocess.Process) -> None:
        """Wait for the HTTP server (Home Assistant starts in a few seconds)."""
        for _ in range(240):
            if process.returncode is not None:
                raise SystemExit("Home Assistant exited during startup (see above)")
            with contextlib.suppress(OSError):
                async with self._session.get(
                    f"{self._base}/api/onboarding"
                ) as response:
                    if response.status == 200:  # noqa: PLR2004
                        return
            await asyncio.sleep(0.5)
        raise SystemExit("Home Assistant did not answer within two minutes")

    async def async_onboard(self) -> None:
        """Create the owner account and finish onboarding."""
        client_id = f"{self._base}/"
        user = await self._post(
            "/api/onboarding/users",
            {
                "client_id": client_id,
                "name": "Demo",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
        )
        async with self._session.post(
            f"{self._base}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": user["auth_code"],
                "client_id": client_id,
            },
        ) as response:
            response.raise_for_status()
            token = (await response.json())["access_token"]
        self._headers = {"Authorization": f"Bearer {token}"}
        await self._post("/api/onboarding/core_config", {})
        await self._post("/api/onboarding/analytics", {})
        await self._post(
            "/api/onboarding/integration",
            {"client_id": client_id, "redirect_uri": f"{client_id}?auth_callback=1"},
        )

    async def async_add_integration(
        self, credentials: Mapping[str, Mapping[str, str]]
    ) -> dict[str, str]:
        """Run the config flow with the stack's services; return the webhook URLs."""
        flow = await self._post(
            "/api/config/config_entries/flow", {"handler": "media_request_tracker"}
        )
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        jellyseerr = credentials[Service.JELLYSEERR]
        await self._step(
            path, {"url": jellyseerr["url"], "api_key": jellyseerr["api_key"]}, "menu"
        )
        for service, step in SERVICE_STEPS:
            await self._step(path, {"next_step_id": step}, "form")
            answer = {
                key: value for key, value in credentials[service].items() if value
            }
            await self._step(path, answer, "menu")
        created = await self._step(path, {"next_step_id": "finish"}, "create_entry")
        self.entry_id = created["result"]["entry_id"]
        await self._set_options(self.entry_id)
        return dict(created["description_placeholders"])

    async def async_add_instance(self, name: str, url: str, api_key: str) -> str:
        """Add a 4K Radarr as a household does (its subentry flow); its webhook URL."""
        path = "/api/config/config_entries/subentries/flow"
        flow = await self._post(path, {"handler": [self.entry_id, "radarr"]})
        created = await self._step(
            f"{path}/{flow['flow_id']}",
            {"name": name, "role": "4k", "url": url, "api_key": api_key},
            "create_entry",
        )
        return str(created["description_placeholders"]["instance_url"])

    async def _set_options(self, entry_id: str) -> None:
        """Save the demo's options through the options flow, as a user does."""
        flow = await self._post(
            "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        path = f"/api/config/config_entries/options/flow/{flow['flow_id']}"
        await self._step(path, OPTIONS, "form")
        await self._step(path, PEOPLE, "create_entry")

    async def async_settle(self) -> None:
        """Keep the HTTP settings and add a dashboard with the card (websocket API).

        Home Assistant 2026.10 migrates YAML HTTP settings into a trial that reverts
        after a few minutes unless promoted; the demo promotes it at once, and
        ignores the repair that asks to remove the YAML it writes on every run.
        """
        async with self._session.ws_connect(f"{self._base}/api/websocket") as socket:
            await socket.receive_json()  # auth_required
            token = self._headers["Authorization"].removeprefix("Bearer ")
            await socket.send_json({"type": "auth", "access_token": token})
            if (await socket.receive_json())["type"] != "auth_ok":
                raise SystemExit("the websocket API refused the demo's token")
            commands: list[dict[str, Any]] = [
                {"type": "http/config/promote"},
                # The settings above, taken over: their repair is the demo's, not yours.
                {
                    "type": "repairs/ignore_issue",
                    "domain": "http",
                    "issue_id": "deprecated_yaml",
                    "ignore": True,
                },
                *(
                    {"type": "person/create", "name": name, "device_trackers": []}
                    for name in PERSONS
                ),
                {
                    "type": "lovelace/dashboards/create",
                    "url_path": DASHBOARD_PATH,
                    "title": "Media requests",
                    "icon": "mdi:movie-open",
                    "show_in_sidebar": True,
                    "require_admin": False,
                    "mode": "storage",
                },
                {
                    "type": "lovelace/config/save",
                    "url_path": DASHBOARD_PATH,
                    "config": DASHBOARD,
                },
            ]
            for number, command in enumerate(commands, start=1):
                await socket.send_json({"id": number, **command})
                result = await socket.receive_json()
                unknown = result.get("error", {}).get("code") == "unknown_command"
                if not result.get("success") and not unknown:
                    raise SystemExit(f"{command['type']} failed: {result}")

    async def _step(
        self, path: str, body: dict[str, Any], expected: str
    ) -> dict[str, Any]:
        result = await self._post(path, body)
        if result.get("type") != expected:
            raise SystemExit(f"config flow: expected {expected}, got {result}")
        return result

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self._session.post(
            f"{self._base}{path}", json=body, headers=self._headers
        ) as response:
            if response.status >= 400:  # noqa: PLR2004
                raise SystemExit(
                    f"{path} answered {response.status}: {await response.text()}"
                )
            result: dict[str, Any] = await response.json()
            return result


def prepare_config(config_dir: Path, port: int) -> None:
    """A fresh configuration directory for one run."""
    shutil.rmtree(config_dir, ignore_errors=True)
    config_dir.mkdir(parents=True)
    (config_dir / "configuration.yaml").write_text(CONFIGURATION.format(port=port))


async def start_home_assistant(config_dir: Path) -> asyncio.subprocess.Process:
    """Home Assistant, loading the integration from this repository."""
    paths = [str(REPO), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    return await asyncio.create_subprocess_exec(
        str(REPO / ".venv" / "bin" / "hass"),
        "--config",
        str(config_dir),
        env=env,
        start_new_session=True,
    )


async def stop_home_assistant(process: asyncio.subprocess.Process) -> None:
    """Stop Home Assistant and everything it started."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


async def run(args: argparse.Namespace) -> None:
    """Start everything, print how to get in, wait for Ctrl-C, stop everything."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    base = f"http://127.0.0.1:{args.port}"
    stack = (
        None
        if args.real
        else SimulatedStack(speed=args.speed, seed=args.seed, radarr_4k=True)
    )
    process = await start_home_assistant(CONFIG_DIR)
    try:
        if stack is not None:
            await stack.start()
            say("simulated stack started")
        async with ClientSession(timeout=ClientTimeout(total=60)) as session:
            api = HomeAssistantApi(session, base)
            await api.async_wait_until_up(process)
            await api.async_onboard()
            await api.async_settle()
            if stack is not None:
                urls = await api.async_add_integration(stack.credentials())
                stack.send_webhooks_to(
                    {service: urls[f"{service}_url"] for service in PUSHING_SERVICES}
                )
                if (uhd := stack.radarr_4k) is not None:
                    url = await api.async_add_instance(
                        "Radarr 4K", uhd.url, uhd.api_key
                    )
                    uhd.set_webhook_target(WebhookTarget(url))
                stack.play(list(SCENARIOS.values()))
        print(f"\nHome Assistant: {base}   login: {USERNAME} / {PASSWORD}")
        print(f"Dashboard with the request card: {base}/{DASHBOARD_PATH}/requests")
        if stack is not None:
            print(
                f"Playing {len(SCENARIOS)} scenarios at {args.speed:g}x: open Settings → "
                "Devices & services → Media Request Tracker."
            )
        else:
            print("Add 'Media Request Tracker' under Settings → Devices & services.")
        print("Ctrl-C stops everything.\n", flush=True)
        waiter = asyncio.create_task(stop.wait())
        exited = asyncio.create_task(process.wait())
        await asyncio.wait({waiter, exited}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        exited.cancel()
    finally:
        say("stopping")
        await stop_home_assistant(process)
        if stack is not None:
            await stack.stop()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's port (8123)"
    )
    parser.add_argument(
        "--speed", type=float, default=4.0, help="simulated seconds per second (4)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the simulated stack (0)"
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="no simulator: add your real stack in the UI",
    )
    args = parser.parse_args()
    if not 0 < args.port < 65536:  # noqa: PLR2004
        parser.error("invalid port")
    prepare_config(CONFIG_DIR, args.port)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
