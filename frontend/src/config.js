/**
 * The card's configuration: validation with defaults, and the visual
 * editor's form. Pure functions, tested without a DOM.
 */

import { stateName } from "./format.js";
import { ACTIVE_STATES, DOMAIN, STATES } from "./model.js";

export const DEFAULT_MAX_ROWS = 10;

/**
 * @typedef {object} CardConfig The card's configuration as written in a dashboard.
 * @property {string} type
 * @property {string} [title]
 * @property {string[]} [states] Empty or absent: the active states.
 * @property {string | string[]} [requested_by] Jellyseerr usernames; absent: everyone.
 * @property {number} [max_rows]
 * @property {boolean} [compact]
 * @property {string} [config_entry]
 */

/**
 * @typedef {object} CardOptions The configuration checked, with its defaults.
 * @property {string | null} title
 * @property {readonly string[]} states
 * @property {readonly string[]} requestedBy
 * @property {number} maxRows
 * @property {boolean} compact
 * @property {string | null} configEntry
 */

/**
 * Check a configuration and fill in the defaults. Throws an `Error` whose
 * message Home Assistant shows in place of the card.
 *
 * @param {unknown} config
 * @returns {CardOptions}
 */
export function parseConfig(config) {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new Error("The card's configuration must be a mapping.");
  }
  const { title, states, requested_by: requestedBy, max_rows: maxRows, compact, config_entry: configEntry } =
    /** @type {Record<string, unknown>} */ (config);
  return {
    title: optionalString("title", title),
    states: parseStates(states),
    requestedBy: typeof requestedBy === "string" ? [requestedBy] : stringList("requested_by", requestedBy),
    maxRows: parseMaxRows(maxRows),
    compact: parseBoolean("compact", compact),
    configEntry: optionalString("config_entry", configEntry),
  };
}

/**
 * The editor's form data: `requested_by` may be a single name in YAML, the
 * form edits a list.
 *
 * @param {CardConfig} config
 * @returns {CardConfig}
 */
export function editorData(config) {
  const requestedBy = config.requested_by;
  return typeof requestedBy === "string" ? { ...config, requested_by: [requestedBy] } : config;
}

/**
 * The configuration the editor saves: options left empty or at their default
 * are dropped, so the YAML stays short and follows future defaults.
 *
 * @param {Record<string, unknown>} config
 * @returns {CardConfig}
 */
export function cleanConfig(config) {
  const cleaned = Object.fromEntries(
    Object.entries(config).filter(
      ([key, value]) =>
        value !== undefined &&
        value !== null &&
        value !== "" &&
        !(Array.isArray(value) && value.length === 0) &&
        !(key === "compact" && value === false),
    ),
  );
  return /** @type {CardConfig} */ (cleaned);
}

/** Labels of the editor's fields. */
export const EDITOR_LABELS = Object.freeze({
  title: "Title",
  states: "States",
  requested_by: "Requested by",
  max_rows: "Maximum rows",
  compact: "Compact layout",
  config_entry: "Integration entry",
});

/** Help under the editor's fields. */
export const EDITOR_HELPERS = Object.freeze({
  states: "None selected: active requests (all but available, declined and removed).",
  requested_by: "Jellyseerr usernames. None: everyone's requests.",
  max_rows: `The newest requests first. Default: ${DEFAULT_MAX_ROWS}.`,
  compact: "One line per request, without posters and episode grids.",
  config_entry: "Only this entry's requests, when you track several Jellyseerr servers.",
});

/**
 * The `ha-form` schema of the visual editor.
 *
 * @param {((key: string) => string) | undefined} localize `hass.localize`, to name the states.
 * @returns {object[]}
 */
export function editorSchema(localize) {
  return [
    { name: "title", selector: { text: {} } },
    {
      name: "states",
      selector: {
        select: {
          multiple: true,
          mode: "list",
          options: STATES.map((state) => ({ value: state, label: stateName(state, localize) })),
        },
      },
    },
    { name: "requested_by", selector: { text: { multiple: true } } },
    { name: "max_rows", selector: { number: { min: 1, max: 500, mode: "box" } } },
    { name: "compact", selector: { boolean: {} } },
    { name: "config_entry", selector: { config_entry: { integration: DOMAIN } } },
  ];
}

/**
 * @param {unknown} states
 * @returns {readonly string[]}
 */
function parseStates(states) {
  const list = stringList("states", states);
  const unknown = list.find((state) => !STATES.includes(state));
  if (unknown !== undefined) {
    throw new Error(`Unknown state "${unknown}" in states; use: ${STATES.join(", ")}.`);
  }
  return list.length === 0 ? ACTIVE_STATES : list;
}

/**
 * @param {unknown} maxRows
 * @returns {number}
 */
function parseMaxRows(maxRows) {
  if (maxRows === undefined) return DEFAULT_MAX_ROWS;
  if (!Number.isInteger(maxRows) || /** @type {number} */ (maxRows) < 1) {
    throw new Error("max_rows must be a whole number of at least 1.");
  }
  return /** @type {number} */ (maxRows);
}

/**
 * @param {string} name
 * @param {unknown} value
 * @returns {boolean}
 */
function parseBoolean(name, value) {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new Error(`${name} must be true or false.`);
  return value;
}

/**
 * @param {string} name
 * @param {unknown} value
 * @returns {string | null} Null when absent or empty.
 */
function optionalString(name, value) {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string") throw new Error(`${name} must be text.`);
  return value;
}

/**
 * @param {string} name
 * @param {unknown} value
 * @returns {string[]}
 */
function stringList(name, value) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new Error(`${name} must be a list of text.`);
  }
  return value;
}
