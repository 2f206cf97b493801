import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  DEFAULT_MAX_ROWS,
  EDITOR_LABELS,
  cleanConfig,
  editorData,
  editorSchema,
  parseConfig,
} from "../../frontend/src/config.js";
import { ACTIVE_STATES, STATES } from "../../frontend/src/model.js";

const TYPE = "custom:media-request-card";

describe("parseConfig", () => {
  test("fills in the defaults", () => {
    assert.deepEqual(parseConfig({ type: TYPE }), {
      title: null,
      states: ACTIVE_STATES,
      requestedBy: [],
      maxRows: DEFAULT_MAX_ROWS,
      compact: false,
      configEntry: null,
    });
    assert.deepEqual(parseConfig({ type: TYPE, states: [], title: "", config_entry: "" }).states, ACTIVE_STATES);
  });

  test("active means every state but the terminal ones", () => {
    assert.deepEqual(ACTIVE_STATES, [
      "requested",
      "approved",
      "grabbing",
      "downloading",
      "downloaded",
      "importing",
      "anime_matching",
      "failed",
    ]);
  });

  test("reads every option", () => {
    assert.deepEqual(
      parseConfig({
        type: TYPE,
        title: "Requests",
        states: ["failed", "available"],
        requested_by: ["alice", "bob"],
        max_rows: 3,
        compact: true,
        config_entry: "01JABC",
      }),
      {
        title: "Requests",
        states: ["failed", "available"],
        requestedBy: ["alice", "bob"],
        maxRows: 3,
        compact: true,
        configEntry: "01JABC",
      },
    );
  });

  test("takes a single requester as text", () => {
    assert.deepEqual(parseConfig({ type: TYPE, requested_by: "alice" }).requestedBy, ["alice"]);
  });

  test("rejects what it cannot use, saying why", () => {
    const cases = [
      [null, /mapping/],
      [[], /mapping/],
      [{ type: TYPE, states: ["downloading", "finished"] }, /Unknown state "finished"/],
      [{ type: TYPE, states: "failed" }, /states must be a list/],
      [{ type: TYPE, requested_by: [1] }, /requested_by must be a list/],
      [{ type: TYPE, max_rows: 0 }, /max_rows/],
      [{ type: TYPE, max_rows: 2.5 }, /max_rows/],
      [{ type: TYPE, max_rows: "5" }, /max_rows/],
      [{ type: TYPE, compact: "yes" }, /compact must be true or false/],
      [{ type: TYPE, title: 5 }, /title must be text/],
      [{ type: TYPE, config_entry: ["a"] }, /config_entry must be text/],
    ];
    for (const [config, message] of cases) {
      assert.throws(() => parseConfig(config), message, JSON.stringify(config));
    }
  });
});

describe("cleanConfig", () => {
  test("drops empty options and defaults", () => {
    assert.deepEqual(
      cleanConfig({
        type: TYPE,
        title: "",
        states: [],
        requested_by: [],
        max_rows: 5,
        compact: false,
        config_entry: undefined,
      }),
      { type: TYPE, max_rows: 5 },
    );
  });

  test("keeps options that are set", () => {
    const config = { type: TYPE, title: "T", states: ["failed"], requested_by: ["bob"], compact: true, config_entry: "x" };
    assert.deepEqual(cleanConfig(config), config);
  });
});

describe("editorData", () => {
  test("gives the form a list of requesters", () => {
    assert.deepEqual(editorData({ type: TYPE, requested_by: "alice" }), { type: TYPE, requested_by: ["alice"] });
    const config = { type: TYPE, requested_by: ["alice"] };
    assert.equal(editorData(config), config);
  });
});

describe("editorSchema", () => {
  test("has a labelled field for every option", () => {
    const names = editorSchema(undefined).map((field) => /** @type {{ name: string }} */ (field).name);
    assert.deepEqual(names, Object.keys(EDITOR_LABELS));
  });

  test("names the states in the user's language", () => {
    /** @param {string} key */
    const localize = (key) => (key.endsWith(".state.failed") ? "Échec" : "");
    const states = /** @type {any} */ (editorSchema(localize)[1]).selector.select.options;
    assert.deepEqual(
      states.map((/** @type {{ value: string }} */ option) => option.value),
      [...STATES],
    );
    assert.deepEqual(states[STATES.indexOf("failed")], { value: "failed", label: "Échec" });
    assert.deepEqual(states[0], { value: "requested", label: "Requested" });
  });

  test("offers only this integration's config entries", () => {
    const field = /** @type {any} */ (editorSchema(undefined).at(-1));
    assert.deepEqual(field, { name: "config_entry", selector: { config_entry: { integration: "media_request_tracker" } } });
  });
});
