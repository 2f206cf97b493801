/**
 * Data shaping for the card: from Home Assistant's registries and states to the
 * requests the card shows. Pure functions only, so they run (and are tested)
 * without a DOM.
 */

export const DOMAIN = "media_request_tracker";

/** Every request and episode state, in lifecycle order (DESIGN §3). */
export const STATES = Object.freeze([
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
]);

/** States after which nothing more happens. */
export const TERMINAL_STATES = Object.freeze(["available", "declined", "removed"]);

/** What the integration counts as an active request; the card's default filter. */
export const ACTIVE_STATES = Object.freeze(
  STATES.filter((state) => !TERMINAL_STATES.includes(state)),
);

/**
 * @typedef {object} HassEntity The parts of a Home Assistant state object the card reads.
 * @property {string} entity_id
 * @property {string} state
 * @property {Record<string, unknown>} attributes
 */

/**
 * @typedef {object} EntityRegistryDisplayEntry `hass.entities[entity_id]`; it has no unique id.
 * @property {string} entity_id
 * @property {string} [platform]
 * @property {string} [device_id]
 */

/**
 * @typedef {object} DeviceRegistryEntry `hass.devices[device_id]`.
 * @property {string} id
 * @property {string[]} config_entries
 */

/**
 * @typedef {object} Registries The registries and states, as `hass` holds them.
 * @property {Record<string, HassEntity | undefined>} states
 * @property {Record<string, EntityRegistryDisplayEntry | undefined>} entities
 * @property {Record<string, DeviceRegistryEntry | undefined>} devices
 */

/**
 * @typedef {object} EpisodeView One episode of a TV request.
 * @property {string} entityId
 * @property {number} season
 * @property {number} episode
 * @property {string | null} title
 * @property {string} state
 * @property {number | null} progress Percent, 0–100.
 * @property {string | null} problem
 * @property {HassEntity} stateObj Kept so that a change is an identity comparison.
 */

/**
 * @typedef {object} RequestView One tracked request, as its status sensor describes it.
 * @property {string} key The Jellyseerr request id.
 * @property {string} entityId
 * @property {string} deviceId
 * @property {string} state
 * @property {string} title
 * @property {number | null} year
 * @property {"movie" | "tv"} mediaType
 * @property {boolean} is4k
 * @property {string | null} requestedBy
 * @property {number | null} progress Percent, 0–100.
 * @property {number | null} downloadSpeed Bytes per second.
 * @property {number | null} eta Seconds.
 * @property {boolean} stalled
 * @property {string | null} problem
 * @property {string | null} waitingFor A stable code (README, Waiting reasons).
 * @property {string | null} waitingDetail Its sentence, in Home Assistant's language.
 * @property {number | null} watchableAt When it should be watchable, in milliseconds since the epoch.
 * @property {number} episodesTotal
 * @property {number} episodesAvailable
 * @property {string | null} posterUrl
 * @property {string[]} followers Person entity ids, the requester's first.
 * @property {HassEntity} stateObj Kept so that a change is an identity comparison.
 * @property {EpisodeView[]} episodes By season (specials last), then episode.
 */

/**
 * The sensors of our platform. `hass.entities` only changes when a registry
 * does, so the card computes this then and not on every state change.
 *
 * @param {Registries["entities"]} entities
 * @returns {string[]}
 */
export function trackerEntityIds(entities) {
  const ids = [];
  for (const [entityId, entry] of Object.entries(entities)) {
    if (entry?.platform === DOMAIN && entityId.startsWith("sensor.")) {
      ids.push(entityId);
    }
  }
  return ids;
}

/**
 * Our entities' state objects: what the card last rendered from.
 *
 * @param {Registries["states"]} states
 * @param {readonly string[]} entityIds
 * @returns {Map<string, HassEntity | undefined>}
 */
export function snapshotStates(states, entityIds) {
  return new Map(entityIds.map((entityId) => [entityId, states[entityId]]));
}

/**
 * Whether any of our entities changed since `snapshot`. Home Assistant
 * replaces an entity's state object whenever its state or attributes change
 * and keeps it otherwise, so identity is enough: the card skips the many
 * `hass` updates that concern other integrations' entities.
 *
 * @param {Registries["states"]} states
 * @param {ReadonlyMap<string, HassEntity | undefined>} snapshot
 * @returns {boolean}
 */
export function statesChanged(states, snapshot) {
  for (const [entityId, stateObj] of snapshot) {
    if (states[entityId] !== stateObj) return true;
  }
  return false;
}

/**
 * Whether a request's row must be redrawn: its own state object or one of
 * its episodes' changed (or an episode came or went).
 *
 * @param {RequestView} previous
 * @param {RequestView} next
 * @returns {boolean}
 */
export function requestChanged(previous, next) {
  return (
    previous.stateObj !== next.stateObj ||
    previous.episodes.length !== next.episodes.length ||
    next.episodes.some((episode, i) => episode.stateObj !== previous.episodes[i].stateObj)
  );
}

/**
 * The tracked requests with their episodes, newest first.
 *
 * Entities are recognised by the attributes their sensors always have
 * (DESIGN §4): a request status sensor carries `request_key`, an episode
 * status sensor `season` and `episode`. An episode belongs to the request
 * whose status sensor is on the same device. Unavailable sensors have no
 * attributes and are left out.
 *
 * @param {Registries} registries
 * @param {readonly string[]} entityIds From {@link trackerEntityIds}.
 * @param {string | null} configEntryId Only this entry's requests, when given.
 * @returns {RequestView[]}
 */
export function collectRequests({ states, entities, devices }, entityIds, configEntryId) {
  /** @type {{ stateObj: HassEntity, deviceId: string }[]} */
  const requestSensors = [];
  /** @type {Map<string, EpisodeView[]>} */
  const episodesByDevice = new Map();
  for (const entityId of entityIds) {
    const stateObj = states[entityId];
    const deviceId = entities[entityId]?.device_id;
    if (!stateObj || !deviceId) continue;
    if (configEntryId && !devices[deviceId]?.config_entries.includes(configEntryId)) continue;
    if (typeof stateObj.attributes.request_key === "string") {
      requestSensors.push({ stateObj, deviceId });
      continue;
    }
    const episode = toEpisode(stateObj);
    if (episode) {
      const episodes = episodesByDevice.get(deviceId);
      if (episodes) episodes.push(episode);
      else episodesByDevice.set(deviceId, [episode]);
    }
  }
  return requestSensors
    .map(({ stateObj, deviceId }) =>
      toRequest(stateObj, deviceId, (episodesByDevice.get(deviceId) ?? []).sort(compareEpisodes)),
    )
    .sort(compareNewestFirst);
}

// Numeric collation orders "9" before "10", as the request ids they are.
const requestKeyCollator = new Intl.Collator("en", { numeric: true });

/**
 * Newest request first: Jellyseerr request ids grow, so the larger id is newer.
 *
 * @param {Pick<RequestView, "key">} a
 * @param {Pick<RequestView, "key">} b
 * @returns {number}
 */
export function compareNewestFirst(a, b) {
  return requestKeyCollator.compare(b.key, a.key);
}

/**
 * @typedef {object} RequestFilter
 * @property {readonly string[]} states
 * @property {readonly string[]} requestedBy Jellyseerr usernames; empty means everyone.
 * @property {number} maxRows
 */

/**
 * The requests a card shows, in order, and how many more matched.
 *
 * @param {readonly RequestView[]} requests Newest first, from {@link collectRequests}.
 * @param {RequestFilter} filter
 * @returns {{ shown: RequestView[], hidden: number }}
 */
export function selectRequests(requests, { states, requestedBy, maxRows }) {
  // Usernames are matched case-insensitively: dashboards are typed by hand.
  const requesters = new Set(requestedBy.map((name) => name.toLocaleLowerCase()));
  const matching = requests.filter(
    (request) =>
      states.includes(request.state) &&
      (requesters.size === 0 ||
        (request.requestedBy !== null && requesters.has(request.requestedBy.toLocaleLowerCase()))),
  );
  return { shown: matching.slice(0, maxRows), hidden: Math.max(0, matching.length - maxRows) };
}

/**
 * The episode grid: one row per season (specials last), episodes in order.
 *
 * @param {readonly EpisodeView[]} episodes Sorted, as {@link collectRequests} gives them.
 * @returns {{ season: number, episodes: EpisodeView[] }[]}
 */
export function episodeGrid(episodes) {
  /** @type {Map<number, EpisodeView[]>} */
  const seasons = new Map();
  for (const episode of episodes) {
    const row = seasons.get(episode.season);
    if (row) row.push(episode);
    else seasons.set(episode.season, [episode]);
  }
  return [...seasons].map(([season, row]) => ({ season, episodes: row }));
}

/**
 * How many episodes are in each state, in lifecycle order: the grid's text
 * alternative for screen readers.
 *
 * @param {readonly EpisodeView[]} episodes
 * @returns {[state: string, count: number][]}
 */
export function episodeCounts(episodes) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const { state } of episodes) counts.set(state, (counts.get(state) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => stateOrder(a) - stateOrder(b));
}

/**
 * The action a request's button calls, if any: `retry` searches again, so it
 * is for requests that are stuck; `refresh` re-verifies one still moving.
 *
 * @param {Pick<RequestView, "state" | "stalled">} request
 * @returns {"retry" | "refresh" | null}
 */
export function actionFor({ state, stalled }) {
  if (TERMINAL_STATES.includes(state)) return null;
  return state === "failed" || stalled ? "retry" : "refresh";
}

/**
 * Whether following a request can still bring news: not once it is declined or
 * removed, nor for a movie in the library (a show's airing season may go on).
 *
 * @param {Pick<RequestView, "state" | "mediaType">} request
 * @returns {boolean}
 */
export function canFollow({ state, mediaType }) {
  if (state === "available") return mediaType === "tv";
  return !TERMINAL_STATES.includes(state);
}

/**
 * @typedef {"success" | "error" | "warning" | "active" | "pending" | "inactive"} Tone
 */

/**
 * The colour family of a state chip or an episode cell.
 *
 * @param {string} state
 * @param {boolean} stalled
 * @returns {Tone}
 */
export function stateTone(state, stalled) {
  if (state === "failed") return "error";
  if (stalled) return "warning";
  if (state === "available") return "success";
  if (state === "requested" || state === "approved") return "pending";
  if (STATES.includes(state) && !TERMINAL_STATES.includes(state)) return "active";
  return "inactive";
}

/**
 * What the progress bar shows, only while bytes are arriving. `percent` is
 * null when no client reports it (the bar is then indeterminate).
 *
 * @param {RequestView} request
 * @returns {{ percent: number | null, eta: number | null, speed: number | null } | null}
 */
export function downloadProgress(request) {
  if (request.state !== "downloading") return null;
  return { percent: request.progress, eta: request.eta, speed: request.downloadSpeed };
}

/**
 * What the request waits for, in one line, when nothing else on its row says it:
 * not with a problem (which says more), nor while the progress bar shows bytes
 * arriving.
 *
 * @param {Pick<RequestView, "problem" | "waitingFor" | "waitingDetail">} request
 * @returns {string | null}
 */
export function waitingLine({ problem, waitingFor, waitingDetail }) {
  if (problem !== null || waitingFor === "downloading") return null;
  return waitingDetail;
}

/**
 * How each episode state is drawn in the grid: a colour with at least 3:1
 * contrast against both the default light and dark card backgrounds (WCAG
 * 1.4.11), and a shape, for those who do not tell the colours apart. Themes may
 * set `--mrt-episode-<state>`.
 *
 * @type {Readonly<Record<string, { color: string, shape: "dashed" | "ring" | "fill" | "rising" | "dot" | "struck" }>>}
 */
export const EPISODE_LOOKS = Object.freeze({
  requested: { color: "#8a8a8a", shape: "dashed" },
  approved: { color: "#8a8a8a", shape: "ring" },
  grabbing: { color: "#2f86d6", shape: "ring" },
  downloading: { color: "#2f86d6", shape: "rising" },
  downloaded: { color: "#8e6bd6", shape: "fill" },
  importing: { color: "#13918a", shape: "fill" },
  anime_matching: { color: "#d0487f", shape: "fill" },
  available: { color: "#3c9a43", shape: "fill" },
  failed: { color: "#e0473c", shape: "dot" },
  declined: { color: "#8a8a8a", shape: "struck" },
  removed: { color: "#8a8a8a", shape: "struck" },
});

/**
 * @param {HassEntity} stateObj
 * @param {string} deviceId
 * @param {EpisodeView[]} episodes
 * @returns {RequestView}
 */
function toRequest(stateObj, deviceId, episodes) {
  const attributes = stateObj.attributes;
  return {
    key: String(attributes.request_key),
    entityId: stateObj.entity_id,
    deviceId,
    state: stateObj.state,
    title: text(attributes.title) ?? text(attributes.friendly_name) ?? stateObj.entity_id,
    year: integer(attributes.year),
    mediaType: attributes.media_type === "tv" ? "tv" : "movie",
    is4k: attributes.is_4k === true,
    requestedBy: text(attributes.requested_by),
    progress: percent(attributes.progress),
    downloadSpeed: nonNegative(attributes.download_speed),
    eta: nonNegative(attributes.eta),
    stalled: attributes.stalled === true,
    problem: text(attributes.problem),
    waitingFor: text(attributes.waiting_for),
    waitingDetail: text(attributes.waiting_detail),
    watchableAt: moment(attributes.watchable_at),
    episodesTotal: integer(attributes.episodes_total) ?? 0,
    episodesAvailable: integer(attributes.episodes_available) ?? 0,
    // Served by Home Assistant: it shows wherever the dashboard does.
    posterUrl: text(attributes.entity_picture),
    followers: Array.isArray(attributes.followers)
      ? attributes.followers.filter((person) => typeof person === "string")
      : [],
    stateObj,
    episodes,
  };
}

/**
 * @param {HassEntity} stateObj
 * @returns {EpisodeView | null}
 */
function toEpisode(stateObj) {
  const { season, episode, title, progress, problem } = stateObj.attributes;
  if (!Number.isInteger(season) || !Number.isInteger(episode)) return null;
  return {
    entityId: stateObj.entity_id,
    season: /** @type {number} */ (season),
    episode: /** @type {number} */ (episode),
    title: text(title),
    state: stateObj.state,
    progress: percent(progress),
    problem: text(problem),
    stateObj,
  };
}

/**
 * Season by season with specials (season 0) last, as Sonarr lists them.
 *
 * @param {EpisodeView} a
 * @param {EpisodeView} b
 * @returns {number}
 */
function compareEpisodes(a, b) {
  const seasonA = a.season === 0 ? Infinity : a.season;
  const seasonB = b.season === 0 ? Infinity : b.season;
  return seasonA === seasonB ? a.episode - b.episode : seasonA - seasonB;
}

/**
 * @param {string} state
 * @returns {number} Unknown states sort last.
 */
function stateOrder(state) {
  const index = STATES.indexOf(state);
  return index === -1 ? STATES.length : index;
}

/**
 * @param {unknown} value
 * @returns {string | null}
 */
function text(value) {
  return typeof value === "string" && value !== "" ? value : null;
}

/**
 * @param {unknown} value An ISO 8601 timestamp.
 * @returns {number | null} Milliseconds since the epoch.
 */
function moment(value) {
  const parsed = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? null : parsed;
}

/**
 * @param {unknown} value
 * @returns {number | null}
 */
function integer(value) {
  return Number.isInteger(value) ? /** @type {number} */ (value) : null;
}

/**
 * @param {unknown} value
 * @returns {number | null}
 */
function nonNegative(value) {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * @param {unknown} value
 * @returns {number | null}
 */
function percent(value) {
  const number = nonNegative(value);
  return number === null ? null : Math.min(number, 100);
}

/**
 * @typedef {object} PersonBadge How a follower shows: their picture, else initials.
 * @property {string} entityId
 * @property {string} name
 * @property {string} initials
 * @property {string | null} picture
 */

/**
 * The person the signed-in user is, if any: the one whose `user_id` is theirs.
 *
 * @param {Registries["states"]} states
 * @param {string | undefined} userId
 * @returns {string | null}
 */
export function personOf(states, userId) {
  if (!userId) return null;
  for (const [entityId, stateObj] of Object.entries(states)) {
    if (entityId.startsWith("person.") && stateObj?.attributes.user_id === userId) return entityId;
  }
  return null;
}

/**
 * A follower's name, picture and initials ("Anna Kingsley" → "AK").
 *
 * @param {Registries["states"]} states
 * @param {string} entityId
 * @returns {PersonBadge}
 */
export function personBadge(states, entityId) {
  const attributes = states[entityId]?.attributes ?? {};
  const name = text(attributes.friendly_name) ?? entityId.replace(/^person\./, "");
  const initials = name
    .split(/[\s._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    // By code point: a name may start with an emoji.
    .map((word) => (Array.from(word)[0] ?? "").toLocaleUpperCase())
    .join("");
  return { entityId, name, initials, picture: text(attributes.entity_picture) };
}
