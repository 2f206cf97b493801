/**
 * Text the card shows: state names, time left, speed and percentages.
 * Numbers and units go through `Intl`, so they follow the user's language.
 */

import { DOMAIN } from "./model.js";

/** @typedef {import("./model.js").HassEntity} HassEntity */

/**
 * English state names (strings.json), for when Home Assistant's translations
 * are not at hand.
 *
 * @type {Readonly<Record<string, string>>}
 */
export const STATE_NAMES = Object.freeze({
  requested: "Requested",
  approved: "Approved",
  grabbing: "Grabbing",
  downloading: "Downloading",
  downloaded: "Downloaded",
  importing: "Importing",
  anime_matching: "Matching in Shoko",
  available: "Available",
  failed: "Failed",
  declined: "Declined",
  removed: "Removed",
});

/**
 * A sensor's state as Home Assistant words it in the user's language, when
 * this version of the frontend offers `formatEntityState`. It answers the raw
 * state for an entity it does not know yet (one added after the page loaded),
 * so that falls back to the integration's own state names.
 *
 * @param {HassEntity} stateObj
 * @param {((stateObj: HassEntity) => string) | undefined} formatEntityState
 * @param {((key: string) => string) | undefined} localize `hass.localize`.
 * @returns {string}
 */
export function formatState(stateObj, formatEntityState, localize) {
  const formatted = formatEntityState?.(stateObj);
  return formatted && formatted !== stateObj.state
    ? formatted
    : stateName(stateObj.state, localize);
}

/**
 * A state's name without a state object (editor options, episode summary),
 * from the integration's translations.
 *
 * @param {string} state
 * @param {((key: string) => string) | undefined} localize `hass.localize`; "" for a missing key.
 * @returns {string}
 */
export function stateName(state, localize) {
  return (
    localize?.(`component.${DOMAIN}.entity.sensor.request_status.state.${state}`) ||
    STATE_NAMES[state] ||
    state
  );
}

/**
 * @param {number} season
 * @param {number} episode
 * @returns {string} "S01E03", as the episode sensors are named.
 */
export function formatEpisode(season, episode) {
  return `S${String(season).padStart(2, "0")}E${String(episode).padStart(2, "0")}`;
}

const MINUTES_PER_DAY = 24 * 60;

/**
 * Time left, to the minute, in at most two units: "45m", "2h 5m", "3d 4h".
 *
 * @param {number | null} seconds
 * @param {string} locale
 * @returns {string | null} Null when there is nothing to say.
 */
export function formatEta(seconds, locale) {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return null;
  // Rounded up and at least a minute: "0m left" would read as done.
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const days = Math.floor(minutes / MINUTES_PER_DAY);
  const hours = Math.floor((minutes % MINUTES_PER_DAY) / 60);
  /** @type {[number, string][]} */
  const parts = days
    ? [[days, "day"], [hours, "hour"]]
    : hours
      ? [[hours, "hour"], [minutes % 60, "minute"]]
      : [[minutes, "minute"]];
  return parts
    .filter(([value], i) => i === 0 || value > 0)
    .map(([value, unit]) => numberFormat(locale, { style: "unit", unit, unitDisplay: "narrow" }).format(value))
    .join(" ");
}

/**
 * When a request should be watchable, in a few words: "ready in ~25m" within a
 * day, else "ready by 12 Dec". Nothing once the estimate has passed (the next
 * update brings a new one), nor for a title not released yet: its waiting line
 * gives the release date, which the estimate only follows.
 *
 * @param {number | null} watchableAt Milliseconds since the epoch.
 * @param {number} now Milliseconds since the epoch.
 * @param {string | null} waitingFor
 * @param {string} locale
 * @returns {string | null} Null without an estimate to show.
 */
export function formatWatchable(watchableAt, now, waitingFor, locale) {
  if (watchableAt === null || watchableAt <= now || waitingFor === "not_released") return null;
  const seconds = (watchableAt - now) / 1000;
  if (seconds < SECONDS_PER_DAY) return `ready in ~${formatEta(seconds, locale)}`;
  const date = dateFormat(locale, new Date(watchableAt).getFullYear() !== new Date(now).getFullYear());
  return `ready by ${date.format(watchableAt)}`;
}

const SECONDS_PER_DAY = 24 * 60 * 60;

/** @type {Map<string, Intl.DateTimeFormat>} */
const dateFormats = new Map();

/**
 * A shared "12 Dec" (or "12 Dec 2027" in another year) formatter.
 *
 * @param {string} locale
 * @param {boolean} withYear
 * @returns {Intl.DateTimeFormat}
 */
function dateFormat(locale, withYear) {
  const key = `${locale} ${withYear}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", ...(withYear && { year: "numeric" }) });
    dateFormats.set(key, format);
  }
  return format;
}

const SPEED_UNITS = ["kilobyte", "megabyte", "gigabyte", "terabyte"];

/**
 * A download speed in decimal units from kB/s up: "850 kB/s", "3.2 MB/s".
 *
 * @param {number | null} bytesPerSecond
 * @param {string} locale
 * @returns {string | null} Null when unknown.
 */
export function formatSpeed(bytesPerSecond, locale) {
  if (bytesPerSecond === null || !Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return null;
  let value = bytesPerSecond / 1000;
  let unit = 0;
  while (value >= 1000 && unit < SPEED_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return numberFormat(locale, {
    style: "unit",
    unit: `${SPEED_UNITS[unit]}-per-second`,
    maximumFractionDigits: value < 10 ? 1 : 0,
  }).format(value);
}

/**
 * @param {number} percent 0–100.
 * @param {string} locale
 * @returns {string} "42%", or "42 %" where that is the custom.
 */
export function formatPercent(percent, locale) {
  // Rounded down: 99.6 must not read "100%" while bytes are still missing.
  return numberFormat(locale, { style: "percent" }).format(Math.floor(percent) / 100);
}

/** @type {Map<string, Intl.NumberFormat>} */
const numberFormats = new Map();

/**
 * A shared formatter: making one costs a hundred times more than using it,
 * and each downloading row uses several on every update.
 *
 * @param {string} locale
 * @param {Intl.NumberFormatOptions} options
 * @returns {Intl.NumberFormat}
 */
function numberFormat(locale, options) {
  const key = `${locale} ${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(key, format);
  }
  return format;
}
