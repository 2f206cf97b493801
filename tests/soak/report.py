"""The soak's report: what was played, what went wrong, and the printed table."""

from collections import Counter
from dataclasses import dataclass

from .observe import Backwards, Percentiles


@dataclass(frozen=True, slots=True)
class WrongEnd:
    """A request that did not end where its lifecycle says it must.

    `stuck` when it stayed behind (or never appeared), otherwise it ended elsewhere.
    """

    title: str
    kind: str
    mishap: str
    request_key: str | None
    expected: str
    shown: str
    stuck: bool
    story: tuple[str, ...]  # its steps and events, in simulated time


@dataclass(frozen=True, slots=True)
class Webhooks:
    """What happened to the webhooks the services sent."""

    sent: int
    dropped: int
    duplicated: int
    delayed: int
    reordered: int
    refused: int  # no answer: Home Assistant was restarting


@dataclass(slots=True)
class SoakReport:
    """Everything the soak measured; `passed` is what the test asserts."""

    seed: int
    kinds: Counter[str]
    mishaps: Counter[str]
    simulated_seconds: float
    webhooks: Webhooks
    restarts: list[tuple[float, float]]
    outage: tuple[float, float]
    outage_answers: int
    wrong: list[WrongEnd]
    backwards: list[Backwards]
    time_to_truth: list[Percentiles]
    events: int
    wall_seconds: float = 0.0

    @property
    def stuck_or_wrong(self) -> int:
        """Requests stuck or in a wrong final state."""
        return len(self.wrong)

    @property
    def within_bounds(self) -> bool:
        """Whether every transition's p99 is within its bound, and none was missed."""
        return all(row.within for row in self.time_to_truth)

    @property
    def passed(self) -> bool:
        """No wrong ends, no steps back, time-to-truth within its bounds."""
        return not self.wrong and not self.backwards and self.within_bounds

    def table(self, details: int = 10) -> str:
        """The printed report; `details` wrong requests get their whole story."""
        lines = [
            (
                f"Chaos soak, seed {self.seed}: {sum(self.kinds.values())} lifecycles, "
                f"{_clock(self.simulated_seconds)} simulated, "
                f"{self.wall_seconds:.0f} s wall time"
            ),
            "",
            "lifecycles by kind  " + _counts(self.kinds),
            "mishaps             " + _counts(self.mishaps),
            *self._chaos_lines(),
            "",
            f"stuck or wrong final state: {self.stuck_or_wrong}",
            *(f"  {_wrong_line(w)}" for w in self.wrong),
            f"backwards state events (or made again): {len(self.backwards)}",
            *(f"  {_backwards_line(b)}" for b in self.backwards),
            f"state events recorded: {self.events}",
            "",
            *self._time_to_truth_lines(),
        ]
        for wrong in self.wrong[:details]:
            lines += ["", f"story of {wrong.title} ({wrong.request_key}):"]
            lines += [f"  {line}" for line in wrong.story]
        return "\n".join(lines)

    def _chaos_lines(self) -> list[str]:
        hooks = self.webhooks
        dropped = 100 * hooks.dropped / max(1, hooks.sent)
        restarts = ", ".join(f"{_clock(a)} to {_clock(b)}" for a, b in self.restarts)
        start, end = self.outage
        sent = (
            (
                f"{hooks.sent} sent by the services: {hooks.dropped} "
                f"dropped ({dropped:.0f} %), {hooks.duplicated} duplicated, "
                f"{hooks.delayed} delayed ({hooks.reordered} overtaken), "
                f"{hooks.refused} refused during restarts"
            )
            if hooks.sent
            else "none: no service points at Home Assistant (polls and live channels)"
        )
        return [
            f"webhooks            {sent}",
            f"restarts            {len(self.restarts)} (Home Assistant down {restarts})",
            (
                f"qBittorrent outage  {_clock(start)} to {_clock(end)}: 503 for the first "
                f"half ({self.outage_answers} answers), then connections refused"
            ),
        ]

    def _time_to_truth_lines(self) -> list[str]:
        rows = [
            (
                "time-to-truth (simulated s while Home Assistant runs; bound: one "
                "active poll interval of the poller that confirms it, + 2 s; an "
                "episode's approval + the 2 s cooldown of the Sonarr read it wakes)"
            ),
            (
                f"  {'transition':<23}{'n':>5}{'p50':>8}{'p99':>8}{'max':>8}"
                f"{'bound':>8}{'missed':>8}"
            ),
        ]
        for row in self.time_to_truth:
            flag = "" if row.within else "  OVER"
            rows.append(
                f"  {row.label:<23}{row.count:>5}{_seconds(row.p50):>8}"
                f"{_seconds(row.p99):>8}{_seconds(row.worst):>8}"
                f"{row.bound:>8.0f}{row.missed:>8}{flag}"
            )
        return rows


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counter.most_common())


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _wrong_line(wrong: WrongEnd) -> str:
    what = "stuck" if wrong.stuck else "wrong"
    return (
        f"{what}: {wrong.title} ({wrong.kind}, {wrong.mishap}): expected "
        f"{wrong.expected}, shows {wrong.shown}"
    )


def _backwards_line(backwards: Backwards) -> str:
    event = backwards.event
    where = "" if event.episode is None else " S{:02d}E{:02d}".format(*event.episode)
    change = (
        f"made again as {event.to_state}"
        if event.from_state is None
        else f"{event.from_state} -> {event.to_state}"
    )
    return f"{_clock(event.at)} {backwards.title}{where}: {change} ({event.source})"
