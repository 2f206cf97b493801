import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";

import {
  STATE_NAMES,
  formatEpisode,
  formatEta,
  formatPercent,
  formatSpeed,
  formatState,
  formatWatchable,
  stateName,
} from "../../frontend/src/format.js";
import { STATES } from "../../frontend/src/model.js";

describe("formatEta", () => {
  test("says nothing when the time left is unknown", () => {
    for (const seconds of [null, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.equal(formatEta(seconds, "en"), null);
    }
  });

  test("rounds up to whole minutes, at least one", () => {
    assert.equal(formatEta(0, "en"), "1m");
    assert.equal(formatEta(59, "en"), "1m");
    assert.equal(formatEta(61, "en"), "2m");
    assert.equal(formatEta(45 * 60, "en"), "45m");
  });

  test("uses the two largest units and drops a zero second one", () => {
    assert.equal(formatEta(3600, "en"), "1h");
    assert.equal(formatEta(3600 + 5 * 60, "en"), "1h 5m");
    assert.equal(formatEta(86400, "en"), "1d");
    assert.equal(formatEta(3 * 86400 + 4 * 3600 + 59, "en"), "3d 4h");
  });

  test("follows the language", () => {
    assert.match(formatEta(2 * 3600 + 5 * 60, "de") ?? "", /^2\s?h 5\sMin\.$/u);
  });
});

describe("formatSpeed", () => {
  test("says nothing when the speed is unknown", () => {
    assert.equal(formatSpeed(null, "en"), null);
    assert.equal(formatSpeed(-5, "en"), null);
  });

  test("picks a decimal unit from kB/s up", () => {
    assert.equal(formatSpeed(0, "en"), "0 kB/s");
    assert.equal(formatSpeed(500, "en"), "0.5 kB/s");
    assert.equal(formatSpeed(850_000, "en"), "850 kB/s");
    assert.equal(formatSpeed(3_210_000, "en"), "3.2 MB/s");
    assert.equal(formatSpeed(45_600_000, "en"), "46 MB/s");
    assert.equal(formatSpeed(1_200_000_000, "en"), "1.2 GB/s");
  });
});

describe("formatPercent", () => {
  test("rounds down, so that only a finished download reads 100%", () => {
    assert.equal(formatPercent(42.9, "en"), "42%");
    assert.equal(formatPercent(99.6, "en"), "99%");
    assert.equal(formatPercent(100, "en"), "100%");
  });

  test("follows the language", () => {
    assert.match(formatPercent(42, "fr"), /^42\s%$/u);
  });
});

describe("formatEpisode", () => {
  test("pads like the episode sensors' names", () => {
    assert.equal(formatEpisode(1, 3), "S01E03");
    assert.equal(formatEpisode(12, 104), "S12E104");
  });
});

describe("formatState", () => {
  const stateObj = { entity_id: "sensor.x", state: "anime_matching", attributes: {} };

  test("uses Home Assistant's translation when it can", () => {
    assert.equal(
      formatState(stateObj, (s) => `translated ${s.state}`),
      "translated anime_matching",
    );
  });

  test("names the state itself when Home Assistant answers it raw", () => {
    /** @param {string} key */
    const localize = (key) => (key.endsWith(".anime_matching") ? "Abgleich in Shoko" : "");
    assert.equal(formatState(stateObj, (s) => s.state, localize), "Abgleich in Shoko");
    assert.equal(formatState(stateObj, (s) => s.state, undefined), "Matching in Shoko");
  });

  test("falls back to English, then to the raw state", () => {
    assert.equal(formatState(stateObj, undefined, undefined), "Matching in Shoko");
    assert.equal(formatState({ ...stateObj, state: "unavailable" }, undefined, undefined), "unavailable");
  });
});

describe("stateName", () => {
  test("asks localize for the integration's translation", () => {
    /** @param {string} key */
    const localize = (key) =>
      key === "component.media_request_tracker.entity.sensor.request_status.state.failed" ? "Échec" : "";
    assert.equal(stateName("failed", localize), "Échec");
    assert.equal(stateName("available", localize), "Available");
    assert.equal(stateName("available", undefined), "Available");
  });

  test("has the English names of strings.json for every state", async () => {
    const strings = JSON.parse(
      await readFile(new URL("../../custom_components/media_request_tracker/strings.json", import.meta.url), "utf8"),
    );
    assert.deepEqual(Object.keys(STATE_NAMES), [...STATES]);
    assert.deepEqual(STATE_NAMES, strings.entity.sensor.request_status.state);
  });
});

describe("formatWatchable", () => {
  const now = Date.parse("2026-12-03T12:00:00Z");
  const minutes = (n) => now + n * 60_000;

  test("says nothing without an estimate, or once it has passed", () => {
    assert.equal(formatWatchable(null, now, "downloading", "en"), null);
    assert.equal(formatWatchable(minutes(-3), now, "jellyfin", "en"), null);
  });

  test("counts down within a day, at least a minute", () => {
    assert.equal(formatWatchable(minutes(25), now, "downloading", "en"), "ready in ~25m");
    assert.equal(formatWatchable(minutes(125), now, "import_pending", "en"), "ready in ~2h 5m");
    assert.equal(formatWatchable(now + 20_000, now, "jellyfin", "en"), "ready in ~1m");
  });

  test("gives the date further out, with the year when it is not this one", () => {
    assert.equal(formatWatchable(Date.parse("2026-12-05T09:00:00Z"), now, "downloading", "en-GB"), "ready by 5 Dec");
    assert.equal(formatWatchable(Date.parse("2027-03-01T12:00:00Z"), now, "downloading", "en-GB"), "ready by 1 Mar 2027");
  });

  test("leaves an unreleased title's date to its waiting line", () => {
    assert.equal(formatWatchable(Date.parse("2026-12-12T02:00:00Z"), now, "not_released", "en-GB"), null);
  });
});
