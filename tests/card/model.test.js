import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  EPISODE_LOOKS,
  ACTIVE_STATES,
  STATES,
  actionFor,
  canFollow,
  collectRequests,
  compareNewestFirst,
  downloadProgress,
  episodeCounts,
  episodeGrid,
  personBadge,
  personOf,
  requestChanged,
  selectRequests,
  snapshotStates,
  stateTone,
  statesChanged,
  trackerEntityIds,
  waitingLine,
} from "../../frontend/src/model.js";
import { ENTRY_ID, makeHass, withState } from "./fixtures.js";

/** @param {ReturnType<typeof makeHass>} hass */
const collect = (hass, configEntry = null) => collectRequests(hass, trackerEntityIds(hass.entities), configEntry);

const everything = { states: STATES, requestedBy: [], maxRows: 100 };

describe("trackerEntityIds", () => {
  test("keeps our platform's sensors only", () => {
    const hass = makeHass([{ key: "1", episodes: [[1, 1, "available"]] }]);
    assert.deepEqual(trackerEntityIds(hass.entities).sort(), [
      "sensor.active_requests",
      "sensor.request_entry_a_1",
      "sensor.request_entry_a_1_followers",
      "sensor.request_entry_a_1_s1e1",
    ]);
  });
});

describe("collectRequests", () => {
  test("gives each request its own episodes, found through the device", () => {
    const hass = makeHass([
      { key: "1", episodes: [[1, 1, "available"], [1, 2, "downloading"]] },
      { key: "2", episodes: [[1, 1, "failed"]] },
      { key: "3" },
    ]);
    const requests = collect(hass);
    assert.deepEqual(
      requests.map((request) => [request.key, request.episodes.map((episode) => episode.entityId)]),
      [
        ["3", []],
        ["2", ["sensor.request_entry_a_2_s1e1"]],
        ["1", ["sensor.request_entry_a_1_s1e1", "sensor.request_entry_a_1_s1e2"]],
      ],
    );
  });

  test("leaves out summary sensors, look-alikes and unavailable sensors", () => {
    const hass = makeHass([{ key: "1" }, { key: "2" }]);
    hass.states["sensor.request_entry_a_2"] = {
      entity_id: "sensor.request_entry_a_2",
      state: "unavailable",
      attributes: { friendly_name: "Gone" },
    };
    assert.deepEqual(
      collect(hass).map((request) => request.entityId),
      ["sensor.request_entry_a_1"],
    );
  });

  test("leaves out entities whose state is not loaded yet", () => {
    const hass = makeHass([{ key: "1" }]);
    delete hass.states["sensor.request_entry_a_1"];
    assert.deepEqual(collect(hass), []);
  });

  test("reads the attributes and keeps the state objects", () => {
    const hass = makeHass([
      {
        key: "7",
        state: "downloading",
        attributes: {
          title: "Dune",
          year: 2021,
          is_4k: true,
          requested_by: "bob",
          progress: 42.5,
          download_speed: 1_500_000,
          eta: 600,
          stalled: true,
          problem: "No seeds for 24 hours",
          waiting_for: "download_stalled",
          waiting_detail: "The download has stalled: no seed is sending data",
          watchable_at: "2026-12-03T12:25:00+00:00",
          poster_url: "https://image.tmdb.org/t/p/w300/dune.jpg",
          entity_picture: "/api/media_request_tracker/poster/entry_a/7?token=t",
          followers: ["person.bob", 7, "person.anna"],
        },
      },
    ]);
    const [request] = collect(hass);
    assert.deepEqual(
      { ...request, stateObj: undefined },
      {
        key: "7",
        entityId: "sensor.request_entry_a_7",
        deviceId: "device_entry_a_7",
        state: "downloading",
        title: "Dune",
        year: 2021,
        mediaType: "movie",
        is4k: true,
        requestedBy: "bob",
        progress: 42.5,
        downloadSpeed: 1_500_000,
        eta: 600,
        stalled: true,
        problem: "No seeds for 24 hours",
        waitingFor: "download_stalled",
        waitingDetail: "The download has stalled: no seed is sending data",
        watchableAt: Date.parse("2026-12-03T12:25:00Z"),
        episodesTotal: 0,
        episodesAvailable: 0,
        posterUrl: "/api/media_request_tracker/poster/entry_a/7?token=t",
        followers: ["person.bob", "person.anna"],
        stateObj: undefined,
        episodes: [],
      },
    );
    assert.equal(request.stateObj, hass.states["sensor.request_entry_a_7"]);
  });

  test("tolerates missing or odd attribute values", () => {
    const hass = makeHass([
      {
        key: "8",
        attributes: {
          title: "",
          year: null,
          progress: 250,
          eta: -1,
          download_speed: "fast",
          problem: "",
          watchable_at: "soon",
        },
      },
    ]);
    const [request] = collect(hass);
    assert.equal(request.title, "Title 8 (2024)", "falls back to the device's name");
    assert.equal(request.year, null);
    assert.equal(request.progress, 100);
    assert.equal(request.eta, null);
    assert.equal(request.downloadSpeed, null);
    assert.equal(request.problem, null);
    assert.equal(request.watchableAt, null);
  });

  test("orders episodes by season and episode, specials last", () => {
    const hass = makeHass([
      {
        key: "1",
        episodes: [
          [2, 1, "requested"],
          [0, 1, "available"],
          [1, 10, "available"],
          [1, 2, "available"],
        ],
      },
    ]);
    const [request] = collect(hass);
    assert.deepEqual(
      request.episodes.map(({ season, episode }) => `${season}x${episode}`),
      ["1x2", "1x10", "2x1", "0x1"],
    );
  });

  test("keeps one config entry's requests when asked", () => {
    const hass = makeHass([{ key: "1" }, { key: "2", entry: "entry_b" }]);
    assert.deepEqual(
      collect(hass, "entry_b").map((request) => request.key),
      ["2"],
    );
    assert.deepEqual(
      collect(hass, ENTRY_ID).map((request) => request.key),
      ["1"],
    );
    assert.deepEqual(
      collect(hass).map((request) => request.key),
      ["2", "1"],
    );
  });

  test("sorts newest first by numeric request key", () => {
    const hass = makeHass(["9", "10", "100", "2"].map((key) => ({ key })));
    assert.deepEqual(
      collect(hass).map((request) => request.key),
      ["100", "10", "9", "2"],
    );
  });
});

describe("compareNewestFirst", () => {
  test("orders request ids by value, not as text", () => {
    const keys = ["2", "10000000000000000001", "11", "10000000000000000002", "100"].map((key) => ({ key }));
    assert.deepEqual(
      keys.sort(compareNewestFirst).map(({ key }) => key),
      ["10000000000000000002", "10000000000000000001", "100", "11", "2"],
    );
  });
});

describe("selectRequests", () => {
  const hass = makeHass([
    { key: "1", state: "available", attributes: { requested_by: "alice" } },
    { key: "2", state: "failed", attributes: { requested_by: "Bob" } },
    { key: "3", state: "downloading", attributes: { requested_by: "alice" } },
    { key: "4", state: "declined", attributes: { requested_by: null } },
    { key: "5", state: "requested", attributes: { requested_by: "carol" } },
  ]);
  const requests = collect(hass);
  /** @param {Partial<typeof everything>} filter */
  const keys = (filter) => selectRequests(requests, { ...everything, ...filter }).shown.map((r) => r.key);

  test("shows active requests by default", () => {
    assert.deepEqual(keys({ states: ACTIVE_STATES }), ["5", "3", "2"]);
  });

  test("filters by state", () => {
    assert.deepEqual(keys({ states: ["available", "declined"] }), ["4", "1"]);
  });

  test("filters by requester, ignoring case", () => {
    assert.deepEqual(keys({ requestedBy: ["BOB", "carol"] }), ["5", "2"]);
    assert.deepEqual(keys({ requestedBy: [] }), ["5", "4", "3", "2", "1"]);
  });

  test("cuts at max rows and counts the rest", () => {
    const { shown, hidden } = selectRequests(requests, { ...everything, maxRows: 2 });
    assert.deepEqual(
      shown.map((r) => r.key),
      ["5", "4"],
    );
    assert.equal(hidden, 3);
    assert.equal(selectRequests(requests, everything).hidden, 0);
  });
});

describe("episodeGrid", () => {
  test("makes one row per season in order", () => {
    const hass = makeHass([
      {
        key: "1",
        episodes: [
          [0, 1, "available"],
          [1, 1, "available"],
          [1, 2, "downloading"],
          [3, 1, "failed"],
        ],
      },
    ]);
    const grid = episodeGrid(collect(hass)[0].episodes);
    assert.deepEqual(
      grid.map(({ season, episodes }) => [season, episodes.map((episode) => [episode.episode, episode.state])]),
      [
        [1, [[1, "available"], [2, "downloading"]]],
        [3, [[1, "failed"]]],
        [0, [[1, "available"]]],
      ],
    );
  });

  test("is empty without episodes", () => {
    assert.deepEqual(episodeGrid([]), []);
  });
});

describe("episodeCounts", () => {
  test("counts episodes per state in lifecycle order", () => {
    const hass = makeHass([
      {
        key: "1",
        episodes: [
          [1, 1, "failed"],
          [1, 2, "available"],
          [1, 3, "downloading"],
          [1, 4, "available"],
        ],
      },
    ]);
    assert.deepEqual(episodeCounts(collect(hass)[0].episodes), [
      ["downloading", 1],
      ["available", 2],
      ["failed", 1],
    ]);
  });
});

describe("change detection", () => {
  const hass = makeHass([{ key: "1", episodes: [[1, 1, "downloading"], [1, 2, "requested"]] }, { key: "2" }]);
  const ids = trackerEntityIds(hass.entities);
  const snapshot = snapshotStates(hass.states, ids);

  test("ignores other integrations' state changes", () => {
    const next = { ...hass, states: { ...hass.states, "light.kitchen": { entity_id: "light.kitchen", state: "on" } } };
    assert.equal(statesChanged(next.states, snapshot), false);
    assert.equal(statesChanged(withState(hass, "sensor.lookalike", { state: "failed" }).states, snapshot), false);
  });

  test("notices a change of one of our entities", () => {
    assert.equal(statesChanged(withState(hass, "sensor.request_entry_a_1_s1e2", { state: "grabbing" }).states, snapshot), true);
    assert.equal(statesChanged(withState(hass, "sensor.request_entry_a_2", { attributes: { eta: 5 } }).states, snapshot), true);
  });

  test("notices a removed entity", () => {
    const states = { ...hass.states };
    delete states["sensor.request_entry_a_2"];
    assert.equal(statesChanged(states, snapshot), true);
  });

  test("redraws only the request whose entities changed", () => {
    const before = collect(hass);
    const after = collect(withState(hass, "sensor.request_entry_a_1_s1e1", { state: "downloaded" }));
    assert.deepEqual(
      after.map((request, i) => [request.key, requestChanged(before[i], request)]),
      [
        ["2", false],
        ["1", true],
      ],
    );
  });

  test("redraws a request whose own sensor changed", () => {
    const before = collect(hass);
    const after = collect(withState(hass, "sensor.request_entry_a_2", { attributes: { progress: 50 } }));
    assert.equal(requestChanged(before[0], after[0]), true);
    assert.equal(requestChanged(before[1], after[1]), false);
  });

  test("redraws a request that gained an episode", () => {
    const before = collect(hass);
    const grown = makeHass([
      { key: "1", episodes: [[1, 1, "downloading"], [1, 2, "requested"], [1, 3, "requested"]] },
      { key: "2" },
    ]);
    // Same state objects for what existed before: only the new episode differs.
    const states = { ...grown.states, ...hass.states };
    const after = collectRequests({ ...grown, states }, trackerEntityIds(grown.entities), null);
    assert.equal(requestChanged(before[1], after[1]), true);
    assert.equal(requestChanged(before[0], after[0]), false);
  });

  test("stays cheap with 200 requests and 2,000 episodes", () => {
    const specs = Array.from({ length: 200 }, (_, i) => ({
      key: String(i + 1),
      episodes: /** @type {[number, number, string][]} */ (
        Array.from({ length: 10 }, (_, e) => [1, e + 1, "downloading"])
      ),
    }));
    const big = makeHass(specs);
    const bigIds = trackerEntityIds(big.entities);
    const bigSnapshot = snapshotStates(big.states, bigIds);
    const noise = { ...big.states, "sensor.outside": { entity_id: "sensor.outside", state: "3" } };
    assert.equal(statesChanged(noise, bigSnapshot), false);
    const requests = collectRequests(big, bigIds, null);
    assert.equal(requests.length, 200);
    assert.equal(
      requests.reduce((sum, request) => sum + request.episodes.length, 0),
      2000,
    );
  });
});

describe("actionFor", () => {
  test("retries what is failed or stalled, refreshes what still moves", () => {
    assert.equal(actionFor({ state: "failed", stalled: false }), "retry");
    assert.equal(actionFor({ state: "downloaded", stalled: true }), "retry");
    assert.equal(actionFor({ state: "downloading", stalled: false }), "refresh");
    assert.equal(actionFor({ state: "requested", stalled: false }), "refresh");
  });

  test("offers nothing for terminal requests", () => {
    for (const state of ["available", "declined", "removed"]) {
      assert.equal(actionFor({ state, stalled: false }), null);
    }
  });
});

describe("stateTone", () => {
  test("colours states by what they mean", () => {
    assert.deepEqual(
      Object.fromEntries(STATES.map((state) => [state, stateTone(state, false)])),
      {
        requested: "pending",
        approved: "pending",
        grabbing: "active",
        downloading: "active",
        downloaded: "active",
        importing: "active",
        anime_matching: "active",
        available: "success",
        failed: "error",
        declined: "inactive",
        removed: "inactive",
      },
    );
  });

  test("marks stalled requests, but failure wins", () => {
    assert.equal(stateTone("downloading", true), "warning");
    assert.equal(stateTone("failed", true), "error");
  });

  test("greys out states it does not know", () => {
    assert.equal(stateTone("unknown", false), "inactive");
  });
});

describe("downloadProgress", () => {
  const hass = makeHass([
    { key: "1", state: "downloading", attributes: { progress: 40, eta: 90, download_speed: 2000 } },
    { key: "2", state: "downloading" },
    { key: "3", state: "downloaded", attributes: { progress: 100 } },
  ]);
  const [idle, unknown, downloading] = collect(hass);

  test("is shown while downloading", () => {
    assert.deepEqual(downloadProgress(downloading), { percent: 40, eta: 90, speed: 2000 });
    assert.deepEqual(downloadProgress(unknown), { percent: null, eta: null, speed: null });
  });

  test("is hidden otherwise", () => {
    assert.equal(downloadProgress(idle), null);
  });
});

describe("waitingLine", () => {
  const stalled = {
    problem: null,
    waitingFor: "download_stalled",
    waitingDetail: "The download has stalled: no seed is sending data",
  };

  test("says what the request waits for", () => {
    assert.equal(waitingLine(stalled), stalled.waitingDetail);
  });

  test("leaves it to the problem, or to the progress bar", () => {
    assert.equal(waitingLine({ ...stalled, problem: "Import blocked" }), null);
    assert.equal(waitingLine({ ...stalled, waitingFor: "downloading", waitingDetail: "Downloading" }), null);
    assert.equal(waitingLine({ problem: null, waitingFor: null, waitingDetail: null }), null);
  });
});

describe("EPISODE_LOOKS", () => {
  /** WCAG relative luminance of `#rrggbb`. */
  const luminance = (hex) => {
    const [r, g, b] = [1, 3, 5].map((at) => {
      const channel = Number.parseInt(hex.slice(at, at + 2), 16) / 255;
      return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (light + 0.05) / (dark + 0.05);
  };

  test("every state has a look", () => {
    assert.deepEqual(Object.keys(EPISODE_LOOKS).sort(), [...STATES].sort());
  });

  test("each colour reads on the default light and dark cards (3:1, WCAG 1.4.11)", () => {
    for (const [state, { color }] of Object.entries(EPISODE_LOOKS)) {
      for (const background of ["#ffffff", "#1c1c1c"]) {
        assert.ok(contrast(color, background) >= 3, `${state} on ${background}`);
      }
    }
  });

  test("an episode's states each look different", () => {
    const episodeStates = STATES.filter((state) => state !== "declined");
    const looks = episodeStates.map((state) => `${EPISODE_LOOKS[state].color} ${EPISODE_LOOKS[state].shape}`);
    assert.equal(new Set(looks).size, episodeStates.length);
  });
});


describe("people", () => {
  const states = {
    "person.anna": {
      entity_id: "person.anna",
      state: "home",
      attributes: { friendly_name: "Anna Kingsley", user_id: "u1", entity_picture: "/api/image/anna.png" },
    },
    "person.ben_o": { entity_id: "person.ben_o", state: "away", attributes: { friendly_name: "ben o'neil" } },
    "sensor.lookalike": { entity_id: "sensor.lookalike", state: "1", attributes: { user_id: "u2" } },
  };

  test("finds the signed-in user's person by user id, and only a person", () => {
    assert.equal(personOf(states, "u1"), "person.anna");
    assert.equal(personOf(states, "u2"), null);
    assert.equal(personOf(states, undefined), null);
  });

  test("shows a picture when there is one, else initials", () => {
    assert.deepEqual(personBadge(states, "person.anna"), {
      entityId: "person.anna",
      name: "Anna Kingsley",
      initials: "AK",
      picture: "/api/image/anna.png",
    });
    assert.equal(personBadge(states, "person.ben_o").initials, "BO");
    const emoji = { "person.gran": { entity_id: "person.gran", state: "home", attributes: { friendly_name: "🎬 Gran" } } };
    assert.equal(personBadge(emoji, "person.gran").initials, "🎬G");
    // A person removed since: named after its entity id.
    assert.deepEqual(personBadge(states, "person.carol"), {
      entityId: "person.carol",
      name: "carol",
      initials: "C",
      picture: null,
    });
  });
});

describe("canFollow", () => {
  test("while news can still come", () => {
    assert.equal(canFollow({ state: "downloading", mediaType: "movie" }), true);
    assert.equal(canFollow({ state: "failed", mediaType: "movie" }), true);
    assert.equal(canFollow({ state: "available", mediaType: "tv" }), true);
    assert.equal(canFollow({ state: "available", mediaType: "movie" }), false);
    assert.equal(canFollow({ state: "removed", mediaType: "tv" }), false);
    assert.equal(canFollow({ state: "declined", mediaType: "movie" }), false);
  });
});
