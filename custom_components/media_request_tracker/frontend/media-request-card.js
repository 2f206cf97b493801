// Media Request Tracker dashboard card. Built from frontend/src/ by 'npm run build': do not edit.

// frontend/src/model.js
var DOMAIN = "media_request_tracker";
var STATES = Object.freeze([
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
  "removed"
]);
var TERMINAL_STATES = Object.freeze(["available", "declined", "removed"]);
var ACTIVE_STATES = Object.freeze(
  STATES.filter((state) => !TERMINAL_STATES.includes(state))
);
function trackerEntityIds(entities) {
  const ids = [];
  for (const [entityId, entry] of Object.entries(entities)) {
    if (entry?.platform === DOMAIN && entityId.startsWith("sensor.")) {
      ids.push(entityId);
    }
  }
  return ids;
}
function snapshotStates(states, entityIds) {
  return new Map(entityIds.map((entityId) => [entityId, states[entityId]]));
}
function statesChanged(states, snapshot) {
  for (const [entityId, stateObj] of snapshot) {
    if (states[entityId] !== stateObj) return true;
  }
  return false;
}
function requestChanged(previous, next) {
  return previous.stateObj !== next.stateObj || previous.episodes.length !== next.episodes.length || next.episodes.some((episode, i) => episode.stateObj !== previous.episodes[i].stateObj);
}
function collectRequests({ states, entities, devices }, entityIds, configEntryId) {
  const requestSensors = [];
  const episodesByDevice = /* @__PURE__ */ new Map();
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
  return requestSensors.map(
    ({ stateObj, deviceId }) => toRequest(stateObj, deviceId, (episodesByDevice.get(deviceId) ?? []).sort(compareEpisodes))
  ).sort(compareNewestFirst);
}
var requestKeyCollator = new Intl.Collator("en", { numeric: true });
function compareNewestFirst(a, b) {
  return requestKeyCollator.compare(b.key, a.key);
}
function selectRequests(requests, { states, requestedBy, maxRows }) {
  const requesters = new Set(requestedBy.map((name) => name.toLocaleLowerCase()));
  const matching = requests.filter(
    (request) => states.includes(request.state) && (requesters.size === 0 || request.requestedBy !== null && requesters.has(request.requestedBy.toLocaleLowerCase()))
  );
  return { shown: matching.slice(0, maxRows), hidden: Math.max(0, matching.length - maxRows) };
}
function episodeGrid(episodes) {
  const seasons = /* @__PURE__ */ new Map();
  for (const episode of episodes) {
    const row = seasons.get(episode.season);
    if (row) row.push(episode);
    else seasons.set(episode.season, [episode]);
  }
  return [...seasons].map(([season, row]) => ({ season, episodes: row }));
}
function episodeCounts(episodes) {
  const counts = /* @__PURE__ */ new Map();
  for (const { state } of episodes) counts.set(state, (counts.get(state) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => stateOrder(a) - stateOrder(b));
}
function actionFor({ state, stalled }) {
  if (TERMINAL_STATES.includes(state)) return null;
  return state === "failed" || stalled ? "retry" : "refresh";
}
function canFollow({ state, mediaType }) {
  if (state === "available") return mediaType === "tv";
  return !TERMINAL_STATES.includes(state);
}
function stateTone(state, stalled) {
  if (state === "failed") return "error";
  if (stalled) return "warning";
  if (state === "available") return "success";
  if (state === "requested" || state === "approved") return "pending";
  if (STATES.includes(state) && !TERMINAL_STATES.includes(state)) return "active";
  return "inactive";
}
function downloadProgress(request) {
  if (request.state !== "downloading") return null;
  return { percent: request.progress, eta: request.eta, speed: request.downloadSpeed };
}
function waitingLine({ problem, waitingFor, waitingDetail }) {
  if (problem !== null || waitingFor === "downloading") return null;
  return waitingDetail;
}
var EPISODE_LOOKS = Object.freeze({
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
  removed: { color: "#8a8a8a", shape: "struck" }
});
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
    followers: Array.isArray(attributes.followers) ? attributes.followers.filter((person) => typeof person === "string") : [],
    stateObj,
    episodes
  };
}
function toEpisode(stateObj) {
  const { season, episode, title, progress, problem } = stateObj.attributes;
  if (!Number.isInteger(season) || !Number.isInteger(episode)) return null;
  return {
    entityId: stateObj.entity_id,
    season: (
      /** @type {number} */
      season
    ),
    episode: (
      /** @type {number} */
      episode
    ),
    title: text(title),
    state: stateObj.state,
    progress: percent(progress),
    problem: text(problem),
    stateObj
  };
}
function compareEpisodes(a, b) {
  const seasonA = a.season === 0 ? Infinity : a.season;
  const seasonB = b.season === 0 ? Infinity : b.season;
  return seasonA === seasonB ? a.episode - b.episode : seasonA - seasonB;
}
function stateOrder(state) {
  const index = STATES.indexOf(state);
  return index === -1 ? STATES.length : index;
}
function text(value) {
  return typeof value === "string" && value !== "" ? value : null;
}
function moment(value) {
  const parsed = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? null : parsed;
}
function integer(value) {
  return Number.isInteger(value) ? (
    /** @type {number} */
    value
  ) : null;
}
function nonNegative(value) {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}
function percent(value) {
  const number = nonNegative(value);
  return number === null ? null : Math.min(number, 100);
}
function personOf(states, userId) {
  if (!userId) return null;
  for (const [entityId, stateObj] of Object.entries(states)) {
    if (entityId.startsWith("person.") && stateObj?.attributes.user_id === userId) return entityId;
  }
  return null;
}
function personBadge(states, entityId) {
  const attributes = states[entityId]?.attributes ?? {};
  const name = text(attributes.friendly_name) ?? entityId.replace(/^person\./, "");
  const initials = name.split(/[\s._-]+/).filter(Boolean).slice(0, 2).map((word) => (Array.from(word)[0] ?? "").toLocaleUpperCase()).join("");
  return { entityId, name, initials, picture: text(attributes.entity_picture) };
}

// frontend/src/format.js
var STATE_NAMES = Object.freeze({
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
  removed: "Removed"
});
function formatState(stateObj, formatEntityState, localize) {
  const formatted = formatEntityState?.(stateObj);
  return formatted && formatted !== stateObj.state ? formatted : stateName(stateObj.state, localize);
}
function stateName(state, localize) {
  return localize?.(`component.${DOMAIN}.entity.sensor.request_status.state.${state}`) || STATE_NAMES[state] || state;
}
function formatEpisode(season, episode) {
  return `S${String(season).padStart(2, "0")}E${String(episode).padStart(2, "0")}`;
}
var MINUTES_PER_DAY = 24 * 60;
function formatEta(seconds, locale) {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return null;
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const days = Math.floor(minutes / MINUTES_PER_DAY);
  const hours = Math.floor(minutes % MINUTES_PER_DAY / 60);
  const parts = days ? [[days, "day"], [hours, "hour"]] : hours ? [[hours, "hour"], [minutes % 60, "minute"]] : [[minutes, "minute"]];
  return parts.filter(([value], i) => i === 0 || value > 0).map(([value, unit]) => numberFormat(locale, { style: "unit", unit, unitDisplay: "narrow" }).format(value)).join(" ");
}
function formatWatchable(watchableAt, now, waitingFor, locale) {
  if (watchableAt === null || watchableAt <= now || waitingFor === "not_released") return null;
  const seconds = (watchableAt - now) / 1e3;
  if (seconds < SECONDS_PER_DAY) return `ready in ~${formatEta(seconds, locale)}`;
  const date = dateFormat(locale, new Date(watchableAt).getFullYear() !== new Date(now).getFullYear());
  return `ready by ${date.format(watchableAt)}`;
}
var SECONDS_PER_DAY = 24 * 60 * 60;
var dateFormats = /* @__PURE__ */ new Map();
function dateFormat(locale, withYear) {
  const key = `${locale} ${withYear}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", ...withYear && { year: "numeric" } });
    dateFormats.set(key, format);
  }
  return format;
}
var SPEED_UNITS = ["kilobyte", "megabyte", "gigabyte", "terabyte"];
function formatSpeed(bytesPerSecond, locale) {
  if (bytesPerSecond === null || !Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return null;
  let value = bytesPerSecond / 1e3;
  let unit = 0;
  while (value >= 1e3 && unit < SPEED_UNITS.length - 1) {
    value /= 1e3;
    unit += 1;
  }
  return numberFormat(locale, {
    style: "unit",
    unit: `${SPEED_UNITS[unit]}-per-second`,
    maximumFractionDigits: value < 10 ? 1 : 0
  }).format(value);
}
function formatPercent(percent2, locale) {
  return numberFormat(locale, { style: "percent" }).format(Math.floor(percent2) / 100);
}
var numberFormats = /* @__PURE__ */ new Map();
function numberFormat(locale, options) {
  const key = `${locale} ${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(key, format);
  }
  return format;
}

// frontend/src/config.js
var DEFAULT_MAX_ROWS = 10;
function parseConfig(config) {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new Error("The card's configuration must be a mapping.");
  }
  const { title, states, requested_by: requestedBy, max_rows: maxRows, compact, config_entry: configEntry } = (
    /** @type {Record<string, unknown>} */
    config
  );
  return {
    title: optionalString("title", title),
    states: parseStates(states),
    requestedBy: typeof requestedBy === "string" ? [requestedBy] : stringList("requested_by", requestedBy),
    maxRows: parseMaxRows(maxRows),
    compact: parseBoolean("compact", compact),
    configEntry: optionalString("config_entry", configEntry)
  };
}
function editorData(config) {
  const requestedBy = config.requested_by;
  return typeof requestedBy === "string" ? { ...config, requested_by: [requestedBy] } : config;
}
function cleanConfig(config) {
  const cleaned = Object.fromEntries(
    Object.entries(config).filter(
      ([key, value]) => value !== void 0 && value !== null && value !== "" && !(Array.isArray(value) && value.length === 0) && !(key === "compact" && value === false)
    )
  );
  return (
    /** @type {CardConfig} */
    cleaned
  );
}
var EDITOR_LABELS = Object.freeze({
  title: "Title",
  states: "States",
  requested_by: "Requested by",
  max_rows: "Maximum rows",
  compact: "Compact layout",
  config_entry: "Integration entry"
});
var EDITOR_HELPERS = Object.freeze({
  states: "None selected: active requests (all but available, declined and removed).",
  requested_by: "Jellyseerr usernames. None: everyone's requests.",
  max_rows: `The newest requests first. Default: ${DEFAULT_MAX_ROWS}.`,
  compact: "One line per request, without posters and episode grids.",
  config_entry: "Only this entry's requests, when you track several Jellyseerr servers."
});
function editorSchema(localize) {
  return [
    { name: "title", selector: { text: {} } },
    {
      name: "states",
      selector: {
        select: {
          multiple: true,
          mode: "list",
          options: STATES.map((state) => ({ value: state, label: stateName(state, localize) }))
        }
      }
    },
    { name: "requested_by", selector: { text: { multiple: true } } },
    { name: "max_rows", selector: { number: { min: 1, max: 500, mode: "box" } } },
    { name: "compact", selector: { boolean: {} } },
    { name: "config_entry", selector: { config_entry: { integration: DOMAIN } } }
  ];
}
function parseStates(states) {
  const list = stringList("states", states);
  const unknown = list.find((state) => !STATES.includes(state));
  if (unknown !== void 0) {
    throw new Error(`Unknown state "${unknown}" in states; use: ${STATES.join(", ")}.`);
  }
  return list.length === 0 ? ACTIVE_STATES : list;
}
function parseMaxRows(maxRows) {
  if (maxRows === void 0) return DEFAULT_MAX_ROWS;
  if (!Number.isInteger(maxRows) || /** @type {number} */
  maxRows < 1) {
    throw new Error("max_rows must be a whole number of at least 1.");
  }
  return (
    /** @type {number} */
    maxRows
  );
}
function parseBoolean(name, value) {
  if (value === void 0) return false;
  if (typeof value !== "boolean") throw new Error(`${name} must be true or false.`);
  return value;
}
function optionalString(name, value) {
  if (value === void 0 || value === null || value === "") return null;
  if (typeof value !== "string") throw new Error(`${name} must be text.`);
  return value;
}
function stringList(name, value) {
  if (value === void 0 || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new Error(`${name} must be a list of text.`);
  }
  return value;
}

// frontend/src/row.js
var MAX_AVATARS = 4;
var ACTION_ICONS = { retry: "mdi:restart", refresh: "mdi:refresh" };
var ACTION_LABELS = { retry: "Retry", refresh: "Refresh" };
var template = document.createElement("template");
template.innerHTML = `
  <li class="request">
    <span class="poster" aria-hidden="true">
      <img alt="" loading="lazy" decoding="async" referrerpolicy="no-referrer" hidden />
      <ha-icon></ha-icon>
    </span>
    <button type="button" class="open">
      <span class="headline"><span class="title"></span> <span class="year"></span><span class="badge" hidden>4K</span></span>
    </button>
    <div class="status">
      <span class="chip" data-testid="state"></span>
      <span class="when" data-testid="when" hidden></span>
      <span class="meta"></span>
      <span class="people">
        <span class="followers" role="img" data-testid="followers" hidden></span>
        <button type="button" class="follow" data-testid="follow" hidden><ha-icon></ha-icon></button>
      </span>
    </div>
    <button type="button" class="action" hidden><ha-icon></ha-icon></button>
    <div class="download" hidden>
      <div class="progress" role="progressbar" aria-label="Download progress"
        aria-valuemin="0" aria-valuemax="100" data-testid="progress"><div class="bar"></div></div>
      <span class="download-text"></span>
    </div>
    <p class="waiting" data-testid="waiting" hidden></p>
    <p class="problem" data-testid="problem" hidden></p>
    <div class="episodes" data-testid="episodes" hidden>
      <div class="grid" role="img"></div>
      <button type="button" class="legend-toggle" aria-expanded="false" aria-label="Legend" title="Legend">
        <ha-icon icon="mdi:palette-swatch-outline"></ha-icon>
      </button>
      <ul class="legend" hidden></ul>
    </div>
  </li>
`;
var RequestRow = class {
  /** The request as last drawn; the card compares the next one with it. */
  /** @type {RequestView | undefined} */
  view;
  /** @type {HTMLLIElement} */
  element;
  /** Absent in the compact layout. */
  /** @type {Poster | null} */
  #poster;
  /** @type {HTMLElement | null} */
  #meta;
  /** @type {Episodes | null} */
  #episodes;
  /** @type {People | null} */
  #people;
  #title;
  #year;
  #badge;
  #chip;
  #when;
  #action;
  #actionIcon;
  #download;
  #progress;
  #bar;
  #downloadText;
  #waiting;
  #problem;
  /** @param {boolean} compact One line per request: no poster, requester or episodes. */
  constructor(compact) {
    const fragment = (
      /** @type {DocumentFragment} */
      template.content.cloneNode(true)
    );
    this.element = /** @type {HTMLLIElement} */
    fragment.firstElementChild;
    const part = (selector) => (
      /** @type {HTMLElement} */
      this.element.querySelector(selector)
    );
    this.#title = part(".title");
    this.#year = part(".year");
    this.#badge = part(".badge");
    this.#chip = part(".chip");
    this.#when = part(".when");
    this.#action = part(".action");
    this.#actionIcon = part(".action ha-icon");
    this.#download = part(".download");
    this.#progress = part(".progress");
    this.#bar = part(".bar");
    this.#downloadText = part(".download-text");
    this.#waiting = part(".waiting");
    this.#problem = part(".problem");
    this.#meta = part(".meta");
    const episodes = part(".episodes");
    this.#episodes = {
      container: episodes,
      grid: part(".grid"),
      toggle: part(".legend-toggle"),
      legend: part(".legend"),
      open: false
    };
    const people = part(".people");
    this.#people = {
      followers: part(".followers"),
      follow: part(".follow"),
      followIcon: part(".follow ha-icon")
    };
    const poster = part(".poster");
    if (compact) {
      for (const unused of [poster, this.#meta, episodes, people]) unused.remove();
      this.#meta = null;
      this.#episodes = null;
      this.#poster = null;
      this.#people = null;
      return;
    }
    const image = (
      /** @type {HTMLImageElement} */
      poster.querySelector("img")
    );
    const icon = (
      /** @type {HTMLElement} */
      poster.querySelector("ha-icon")
    );
    this.#poster = { image, icon, url: null };
    image.addEventListener("error", () => {
      image.hidden = true;
      icon.hidden = false;
    });
  }
  /**
   * Draw `request` over whatever the row showed before.
   *
   * @param {RequestView} request
   * @param {RowContext} context
   */
  update(request, context) {
    this.view = request;
    const row = this.element.dataset;
    row.requestKey = request.key;
    row.state = request.state;
    row.stalled = String(request.stalled);
    row.mediaType = request.mediaType;
    this.#title.textContent = request.title;
    this.#year.textContent = request.year === null ? "" : `(${request.year})`;
    this.#badge.hidden = !request.is4k;
    this.#chip.textContent = context.formatState(request.stateObj);
    this.#chip.dataset.tone = stateTone(request.state, request.stalled);
    const when = formatWatchable(request.watchableAt, context.now, request.waitingFor, context.locale);
    this.#when.hidden = when === null;
    this.#when.textContent = when ?? "";
    this.#updateAction(request);
    this.#updateDownload(request, context.locale);
    const waiting = waitingLine(request);
    this.#waiting.hidden = waiting === null;
    this.#waiting.textContent = waiting ?? "";
    this.#problem.hidden = request.problem === null;
    this.#problem.textContent = request.problem ?? "";
    this.#problem.dataset.tone = request.state === "failed" ? "error" : "warning";
    if (this.#poster) this.#updatePoster(this.#poster, request);
    if (this.#meta) this.#meta.textContent = meta(request);
    if (this.#people) updatePeople(this.#people, request, context);
    if (this.#episodes) this.#updateEpisodes(this.#episodes, request, context);
  }
  /** @param {RequestView} request */
  #updateAction(request) {
    const action = actionFor(request);
    this.#action.hidden = action === null;
    if (action === null) return;
    const label = `${ACTION_LABELS[action]} ${request.title}`;
    this.#action.dataset.action = action;
    this.#action.setAttribute("aria-label", label);
    this.#action.title = label;
    this.#actionIcon.setAttribute("icon", ACTION_ICONS[action]);
  }
  /**
   * @param {RequestView} request
   * @param {string} locale
   */
  #updateDownload(request, locale) {
    const download = downloadProgress(request);
    this.#download.hidden = download === null;
    if (download === null) return;
    const { percent: percent2, eta, speed } = download;
    const timeLeft = formatEta(eta, locale);
    const text2 = [
      percent2 === null ? null : formatPercent(percent2, locale),
      timeLeft === null ? null : `${timeLeft} left`,
      formatSpeed(speed, locale)
    ].filter((part) => part !== null).join(" · ");
    this.#downloadText.textContent = text2;
    if (percent2 === null) {
      this.#progress.removeAttribute("aria-valuenow");
      this.#bar.style.width = "";
    } else {
      this.#progress.setAttribute("aria-valuenow", String(Math.floor(percent2)));
      this.#bar.style.width = `${percent2}%`;
    }
    if (text2) this.#progress.setAttribute("aria-valuetext", text2);
    else this.#progress.removeAttribute("aria-valuetext");
  }
  /**
   * @param {Poster} poster
   * @param {RequestView} request
   */
  #updatePoster(poster, request) {
    poster.icon.setAttribute("icon", request.mediaType === "tv" ? "mdi:television-classic" : "mdi:movie-open");
    if (request.posterUrl === poster.url) return;
    poster.url = request.posterUrl;
    poster.image.hidden = poster.url === null;
    poster.icon.hidden = poster.url !== null;
    if (poster.url === null) poster.image.removeAttribute("src");
    else poster.image.src = poster.url;
  }
  /**
   * Show or hide the episode grid's legend (its button, a tap on the grid, Escape).
   *
   * @param {boolean} [open]
   */
  toggleLegend(open) {
    const episodes = this.#episodes;
    if (!episodes) return;
    episodes.open = open ?? !episodes.open;
    episodes.legend.hidden = !episodes.open;
    episodes.toggle.setAttribute("aria-expanded", String(episodes.open));
  }
  /**
   * A row of cells per season, coloured and shaped by state, each named on hover;
   * a text summary for screen readers; the legend with counts on demand.
   *
   * @param {Episodes} episodes
   * @param {RequestView} request
   * @param {RowContext} context
   */
  #updateEpisodes(episodes, request, context) {
    const { container, grid, toggle, legend } = episodes;
    container.hidden = request.episodes.length === 0;
    if (container.hidden) {
      grid.replaceChildren();
      legend.replaceChildren();
      return;
    }
    const counted = episodeCounts(request.episodes);
    const counts = counted.map(([state, count]) => `${count} ${context.stateName(state)}`).join(", ");
    grid.setAttribute("aria-label", `Episodes: ${counts}`);
    legend.id = `legend-${request.key}`;
    toggle.setAttribute("aria-controls", legend.id);
    const seasons = document.createDocumentFragment();
    for (const { season, episodes: row } of episodeGrid(request.episodes)) {
      const line = element("div", "season");
      const label = element("span", "season-label");
      label.textContent = `S${season}`;
      const cells = element("span", "cells");
      cells.append(...row.map((episode) => episodeCell(episode, context)));
      line.append(label, cells);
      seasons.append(line);
    }
    grid.replaceChildren(seasons);
    legend.replaceChildren(...legendItems(counted, context));
  }
};
function updatePeople({ followers, follow, followIcon }, request, context) {
  const badges = request.followers.map(context.person);
  followers.hidden = badges.length === 0;
  const names = badges.map((badge) => badge.name).join(", ");
  followers.setAttribute("aria-label", `Followed by ${names}`);
  followers.title = `Followed by ${names}`;
  const avatars = badges.slice(0, MAX_AVATARS).map(avatar);
  if (badges.length > MAX_AVATARS) {
    const more = element("span", "avatar more-followers");
    more.textContent = `+${badges.length - MAX_AVATARS}`;
    avatars.push(more);
  }
  followers.replaceChildren(...avatars);
  const following = context.me !== null && request.followers.includes(context.me);
  follow.hidden = context.me === null || !following && !canFollow(request);
  const label = `${following ? "Unfollow" : "Follow"} ${request.title}`;
  follow.setAttribute("aria-pressed", String(following));
  follow.setAttribute("aria-label", label);
  follow.title = label;
  followIcon.setAttribute("icon", following ? "mdi:bell-ring" : "mdi:bell-plus-outline");
}
function avatar(badge) {
  const circle = element("span", "avatar");
  circle.dataset.person = badge.entityId;
  if (badge.picture === null) {
    circle.textContent = badge.initials;
  } else {
    const image = document.createElement("img");
    image.alt = "";
    image.src = badge.picture;
    circle.append(image);
  }
  return circle;
}
function episodeCell(episode, context) {
  const cell = element("span", "cell");
  cell.dataset.episode = `s${episode.season}e${episode.episode}`;
  look(cell, episode.state);
  if (episode.progress !== null) cell.style.setProperty("--progress", `${episode.progress}%`);
  const name = [formatEpisode(episode.season, episode.episode), episode.title].filter(Boolean).join(" ");
  const details = [context.formatState(episode.stateObj), episode.problem].filter(Boolean).join(": ");
  cell.title = `${name} — ${details}`;
  return cell;
}
function legendItems(counted, context) {
  return counted.map(([state, count]) => {
    const item = element("li", "legend-item");
    const swatch = element("span", "swatch");
    look(swatch, state);
    item.append(swatch, `${context.stateName(state)} ${count}`);
    return item;
  });
}
function look(target, state) {
  target.dataset.state = state;
  target.dataset.look = EPISODE_LOOKS[state]?.shape ?? "ring";
}
function meta(request) {
  const parts = [];
  if (request.requestedBy !== null) parts.push(`Requested by ${request.requestedBy}`);
  if (request.mediaType === "tv" && request.episodesTotal > 0) {
    parts.push(`${request.episodesAvailable}/${request.episodesTotal} episodes`);
  }
  return parts.join(" · ");
}
function element(tag, className) {
  const created = document.createElement(tag);
  created.className = className;
  return created;
}

// frontend/src/styles.js
var episodeColors = Object.entries(EPISODE_LOOKS).map(
  ([state, { color }]) => `.cell[data-state="${state}"], .swatch[data-state="${state}"] { --look: var(--mrt-episode-${state.replaceAll("_", "-")}, ${color}); }`
).join("\n  ");
var styles = `
  :host {
    --mrt-gap: 12px;
    --mrt-poster-width: 48px;
    --mrt-cell-size: 10px;
  }
  /* The parts below set display, which would otherwise override hidden. */
  [hidden] {
    display: none !important;
  }
  ha-card {
    overflow: hidden;
  }
  .requests {
    list-style: none;
    margin: 0;
    padding: 8px 0;
  }
  .requests:empty {
    display: none;
  }
  .request {
    display: grid;
    grid-template-columns: auto minmax(0, 1fr) auto;
    grid-template-areas:
      "poster open action"
      "poster status action"
      "poster download download"
      "poster waiting waiting"
      "poster problem problem"
      "poster episodes episodes";
    /* A poster taller than the text leaves its extra height below, not between lines. */
    grid-template-rows: auto auto auto auto auto 1fr;
    align-items: center;
    column-gap: var(--mrt-gap);
    padding: 8px 16px;
    border-top: 1px solid var(--divider-color, rgba(127, 127, 127, 0.2));
  }
  .request:first-child {
    border-top: none;
  }
  /* Spacing by margins, not row-gap: absent parts leave empty grid rows. */
  .status,
  .download,
  .problem,
  .episodes {
    align-self: start;
    margin-top: 6px;
  }
  .status {
    grid-area: status;
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px 8px;
    min-width: 0;
  }
  .open {
    grid-area: open;
    min-width: 0;
    padding: 0;
    border: none;
    border-radius: 4px;
    background: none;
    color: inherit;
    font: inherit;
    text-align: start;
    cursor: pointer;
  }
  button:focus-visible {
    outline: 2px solid var(--primary-color);
    outline-offset: 2px;
  }
  .poster {
    grid-area: poster;
    align-self: start;
    display: grid;
    place-items: center;
    width: var(--mrt-poster-width);
    aspect-ratio: 2 / 3;
    border-radius: 4px;
    overflow: hidden;
    background: var(--secondary-background-color, rgba(127, 127, 127, 0.15));
    color: var(--secondary-text-color);
    cursor: pointer;
  }
  .poster img {
    width: 100%;
    height: 100%;
    object-fit: cover;
  }
  .headline {
    display: block;
    color: var(--primary-text-color);
    font-weight: 500;
    line-height: 1.3;
    overflow-wrap: break-word;
  }
  .year,
  .meta {
    color: var(--secondary-text-color);
    font-weight: normal;
  }
  .meta {
    font-size: 0.875em;
  }
  .people {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    margin-inline-start: auto;
  }
  .followers {
    display: inline-flex;
    padding-inline-start: 6px;
  }
  .avatar {
    display: grid;
    place-items: center;
    box-sizing: border-box;
    width: 24px;
    height: 24px;
    margin-inline-start: -6px;
    border: 2px solid var(--card-background-color, var(--ha-card-background, #fff));
    border-radius: 50%;
    overflow: hidden;
    background: var(--primary-color);
    color: var(--text-primary-color, #fff);
    font-size: 0.625em;
    font-weight: 600;
    line-height: 1;
  }
  .avatar img {
    width: 100%;
    height: 100%;
    object-fit: cover;
  }
  .more-followers {
    background: var(--secondary-background-color, rgba(127, 127, 127, 0.3));
    color: var(--primary-text-color);
  }
  .follow {
    width: 32px;
    height: 32px;
    --mdc-icon-size: 20px;
  }
  .follow[aria-pressed="true"] {
    color: var(--primary-color);
  }
  .when {
    font-size: 0.875em;
    font-weight: 500;
    white-space: nowrap;
  }
  .badge {
    display: inline-block;
    margin-inline-start: 4px;
    padding: 0 4px;
    border: 1px solid var(--secondary-text-color);
    border-radius: 4px;
    color: var(--secondary-text-color);
    font-size: 0.75em;
    font-weight: 500;
    vertical-align: middle;
  }
  .chip {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    padding: 2px 10px;
    border-radius: 999px;
    border: 1px solid color-mix(in srgb, var(--tone) 55%, transparent);
    background: color-mix(in srgb, var(--tone) 16%, transparent);
    color: var(--primary-text-color);
    font-size: 0.8125em;
    font-weight: 500;
    white-space: nowrap;
  }
  .chip::before {
    content: "";
    width: 8px;
    height: 8px;
    border-radius: 50%;
    background: var(--tone);
  }
  [data-tone="success"] { --tone: var(--success-color, #43a047); }
  [data-tone="error"] { --tone: var(--error-color, #db4437); }
  [data-tone="warning"] { --tone: var(--warning-color, #ffa600); }
  [data-tone="active"] { --tone: var(--info-color, #039be5); }
  [data-tone="pending"] { --tone: var(--secondary-text-color, #727272); }
  [data-tone="inactive"] { --tone: var(--disabled-text-color, #bdbdbd); }
  /* Round icon buttons: the row's action, the bell, the legend's toggle. */
  .action,
  .follow,
  .legend-toggle {
    display: grid;
    place-items: center;
    padding: 0;
    border: none;
    border-radius: 50%;
    background: none;
    color: var(--secondary-text-color);
    cursor: pointer;
  }
  .action:hover,
  .follow:hover {
    background: color-mix(in srgb, var(--primary-text-color) 8%, transparent);
  }
  .action[aria-disabled="true"],
  .follow[aria-disabled="true"] {
    cursor: progress;
    opacity: 0.5;
  }
  .action {
    grid-area: action;
    width: 40px;
    height: 40px;
  }
  .download {
    grid-area: download;
    display: flex;
    align-items: center;
    gap: 8px;
    min-width: 0;
  }
  .progress {
    flex: 1;
    height: 6px;
    border-radius: 3px;
    overflow: hidden;
    background: color-mix(in srgb, var(--primary-color) 20%, transparent);
  }
  .bar {
    height: 100%;
    border-radius: inherit;
    background: var(--primary-color);
    transition: width 0.3s ease-out;
  }
  .progress:not([aria-valuenow]) .bar {
    width: 30%;
    animation: mrt-indeterminate 1.5s ease-in-out infinite;
  }
  @keyframes mrt-indeterminate {
    from { transform: translateX(-100%); }
    to { transform: translateX(340%); }
  }
  @media (prefers-reduced-motion: reduce) {
    .bar { transition: none; }
    .progress:not([aria-valuenow]) .bar { animation: none; width: 100%; opacity: 0.4; }
  }
  .download-text {
    flex: none;
    color: var(--secondary-text-color);
    font-size: 0.8125em;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }
  .problem {
    grid-area: problem;
    margin: 0;
    padding: 4px 8px;
    border-inline-start: 3px solid var(--tone);
    border-radius: 4px;
    background: color-mix(in srgb, var(--tone) 12%, transparent);
    color: var(--primary-text-color);
    font-size: 0.875em;
    overflow-wrap: break-word;
  }
  .episodes {
    grid-area: episodes;
    display: grid;
    grid-template-columns: minmax(0, 1fr) auto;
    align-items: start;
    gap: 4px 8px;
    min-width: 0;
  }
  .season {
    display: flex;
    align-items: center;
    gap: 6px;
  }
  .season-label {
    flex: none;
    min-width: 2.5em;
    color: var(--secondary-text-color);
    font-size: 0.75em;
    font-variant-numeric: tabular-nums;
  }
  .cells {
    display: flex;
    flex-wrap: wrap;
    gap: 2px;
  }
  .cell,
  .swatch {
    /* A state the card does not know yet still shows. */
    --look: var(--secondary-text-color);
    flex: none;
    box-sizing: border-box;
    width: var(--mrt-cell-size);
    height: var(--mrt-cell-size);
    border-radius: 2px;
  }
  ${episodeColors}
  /* Shapes as well as colours, for those who do not tell the colours apart. */
  [data-look="fill"] { background: var(--look); }
  [data-look="ring"] { box-shadow: inset 0 0 0 1.5px var(--look); }
  [data-look="dashed"] { border: 1.5px dashed var(--look); }
  [data-look="dot"] { background: var(--look); border-radius: 50%; }
  /* Filled from the bottom as the episode's bytes arrive. */
  [data-look="rising"] {
    box-shadow: inset 0 0 0 1.5px var(--look);
    background: linear-gradient(to top, var(--look) var(--progress, 0%), transparent var(--progress, 0%));
  }
  /* The legend shows a half-filled one. */
  .swatch[data-look="rising"] { --progress: 50%; }
  [data-look="struck"] {
    box-shadow: inset 0 0 0 1.5px var(--look);
    background: linear-gradient(to top right, transparent 42%, var(--look) 42% 58%, transparent 58%);
  }
  .grid {
    display: flex;
    flex-direction: column;
    gap: 3px;
    min-width: 0;
    cursor: pointer;
  }
  .legend-toggle {
    width: 28px;
    height: 28px;
    --mdc-icon-size: 18px;
  }
  .legend-toggle[aria-expanded="true"] {
    color: var(--primary-color);
  }
  .legend {
    grid-column: 1 / -1;
    display: flex;
    flex-wrap: wrap;
    gap: 2px 12px;
    margin: 0;
    padding: 0;
    list-style: none;
    color: var(--secondary-text-color);
    font-size: 0.75em;
  }
  .legend-item {
    display: inline-flex;
    align-items: center;
    gap: 4px;
  }
  .waiting {
    grid-area: waiting;
    align-self: start;
    margin: 4px 0 0;
    color: var(--secondary-text-color);
    font-size: 0.875em;
    overflow-wrap: break-word;
  }
  .empty,
  .more {
    margin: 0;
    padding: 8px 16px 16px;
    color: var(--secondary-text-color);
  }
  .more {
    padding-top: 0;
    font-size: 0.875em;
  }
  .compact .request {
    grid-template-columns: minmax(0, 1fr) auto auto;
    grid-template-areas:
      "open status action"
      "download download download"
      "waiting waiting waiting"
      "problem problem problem";
    grid-template-rows: auto;
    padding-block: 4px;
  }
  .compact .status {
    align-self: center;
    margin-top: 0;
  }
  .compact .download,
  .compact .problem {
    margin-top: 2px;
  }
  .compact .headline {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
`;

// frontend/src/card.js
var CARD_TAG = "media-request-card";
var MINUTE = 6e4;
var EDITOR_TAG = "media-request-card-editor";
var MediaRequestCard = class extends HTMLElement {
  /** @type {CardOptions | undefined} */
  #options;
  /** @type {Hass | undefined} */
  #hass;
  /** The `hass.entities` that {@link #entityIds} was computed from. */
  /** @type {Hass["entities"] | undefined} */
  #indexedEntities;
  /** @type {string[]} */
  #entityIds = [];
  /** @type {Map<string, HassEntity | undefined>} */
  #snapshot = /* @__PURE__ */ new Map();
  /** Shown rows by request key, in display order. */
  /** @type {Map<string, RequestRow>} */
  #rows = /* @__PURE__ */ new Map();
  /** Redraws "ready in ~25m" as the minutes pass, while the card is shown. */
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #clock;
  #card;
  #list;
  #empty;
  #more;
  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = `
      <style>${styles}</style>
      <ha-card>
        <ul class="requests" data-testid="requests"></ul>
        <p class="empty" data-testid="empty" hidden></p>
        <p class="more" data-testid="more" hidden></p>
      </ha-card>
    `;
    const part = (selector) => (
      /** @type {HTMLElement} */
      root.querySelector(selector)
    );
    this.#card = part("ha-card");
    this.#list = part(".requests");
    this.#empty = part(".empty");
    this.#more = part(".more");
    this.#list.addEventListener("click", (event) => this.#onClick(event));
    this.#list.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      for (const row of this.#rows.values()) row.toggleLegend(false);
    });
  }
  connectedCallback() {
    this.#clock ??= setInterval(() => this.#tick(), MINUTE);
  }
  disconnectedCallback() {
    clearInterval(this.#clock);
    this.#clock = void 0;
  }
  /** A minute passed: "ready in ~25m" is now "ready in ~24m" wherever one shows. */
  #tick() {
    if (!this.#hass || !this.#options) return;
    const estimated = [...this.#rows.values()].some((row) => row.view?.watchableAt != null);
    if (estimated) this.#render(this.#hass, this.#options, true);
  }
  /** @returns {HTMLElement} */
  static getConfigElement() {
    return document.createElement(EDITOR_TAG);
  }
  /**
   * The card picker adds `type`; the defaults (active requests, newest first)
   * are the right start.
   *
   * @returns {object}
   */
  static getStubConfig() {
    return {};
  }
  /** @param {unknown} config */
  setConfig(config) {
    const options = parseConfig(config);
    this.#options = options;
    this.#rows.clear();
    this.#list.replaceChildren();
    this.#card.classList.toggle("compact", options.compact);
    this.#list.setAttribute("aria-label", options.title ?? "Media requests");
    if (options.title === null) this.#card.removeAttribute("header");
    else this.#card.setAttribute("header", options.title);
    if (this.#hass) this.#render(this.#hass, options, true);
  }
  /** @param {Hass} hass */
  set hass(hass) {
    const previous = this.#hass;
    this.#hass = hass;
    const options = this.#options;
    if (!options) return;
    const reword = !previous || hass.localize !== previous.localize || hass.locale !== previous.locale;
    const unchanged = !reword && hass.entities === previous.entities && hass.devices === previous.devices && !statesChanged(hass.states, this.#snapshot);
    if (!unchanged) this.#render(hass, options, reword);
  }
  /** @returns {number} Home Assistant's unit of about 50 pixels. */
  getCardSize() {
    const header = this.#options?.title ? 1 : 0;
    return header + Math.max(1, this.#rows.size) * (this.#options?.compact ? 1 : 2);
  }
  /** Sections view: full width by default; rows follow the content. */
  getGridOptions() {
    return { columns: 12, min_columns: 6 };
  }
  /**
   * @param {Hass} hass
   * @param {CardOptions} options
   * @param {boolean} redrawAll Patch every row, changed or not.
   */
  #render(hass, options, redrawAll) {
    if (hass.entities !== this.#indexedEntities) {
      this.#indexedEntities = hass.entities;
      this.#entityIds = trackerEntityIds(hass.entities);
    }
    this.#snapshot = snapshotStates(hass.states, this.#entityIds);
    const requests = collectRequests(hass, this.#entityIds, options.configEntry);
    const { shown, hidden } = selectRequests(requests, options);
    const context = {
      locale: hass.locale?.language ?? hass.language ?? navigator.language,
      now: Date.now(),
      formatState: (stateObj) => formatState(stateObj, hass.formatEntityState, hass.localize),
      stateName: (state) => stateName(state, hass.localize),
      me: personOf(hass.states, hass.user?.id),
      person: (entityId) => personBadge(hass.states, entityId)
    };
    const rows = /* @__PURE__ */ new Map();
    let cursor = this.#list.firstElementChild;
    for (const request of shown) {
      let row = this.#rows.get(request.key);
      if (!row) {
        row = new RequestRow(options.compact);
        row.update(request, context);
      } else if (redrawAll || !row.view || requestChanged(row.view, request)) {
        row.update(request, context);
      }
      rows.set(request.key, row);
      if (row.element === cursor) cursor = cursor.nextElementSibling;
      else this.#list.insertBefore(row.element, cursor);
    }
    for (const [key, row] of this.#rows) {
      if (!rows.has(key)) row.element.remove();
    }
    this.#rows = rows;
    this.#empty.hidden = shown.length > 0;
    setText(this.#empty, options.states === ACTIVE_STATES ? "No active requests." : "No matching requests.");
    this.#more.hidden = hidden === 0;
    setText(this.#more, `${hidden} more not shown.`);
  }
  /** @param {Event} event */
  #onClick(event) {
    const target = (
      /** @type {Element} */
      event.target
    );
    const key = target.closest("li")?.dataset.requestKey;
    const request = key === void 0 ? void 0 : this.#rows.get(key)?.view;
    if (!request) return;
    const action = target.closest(".action");
    const follow = target.closest(".follow");
    if (action) this.#runAction(
      request,
      /** @type {HTMLElement} */
      action
    );
    else if (follow) this.#toggleFollow(
      request,
      /** @type {HTMLElement} */
      follow
    );
    else if (target.closest(".open, .poster")) this.#open(request);
    else if (target.closest(".legend-toggle, .grid")) this.#rows.get(key ?? "")?.toggleLegend();
  }
  /**
   * The device page lists the request's entities, history and actions; only
   * administrators may open it, others get the status sensor's more-info.
   *
   * @param {RequestView} request
   */
  #open(request) {
    if (this.#hass?.user?.is_admin) {
      history.pushState(null, "", `/config/devices/device/${request.deviceId}`);
      window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
    } else {
      this.dispatchEvent(
        new CustomEvent("hass-more-info", { bubbles: true, composed: true, detail: { entityId: request.entityId } })
      );
    }
  }
  /**
   * @param {RequestView} request
   * @param {HTMLElement} button
   */
  async #runAction(request, button) {
    const action = actionFor(request);
    if (action) await this.#call(action, request, button);
  }
  /**
   * Follow the request, or stop: the action takes the signed-in user's person.
   *
   * @param {RequestView} request
   * @param {HTMLElement} button
   */
  async #toggleFollow(request, button) {
    const following = button.getAttribute("aria-pressed") === "true";
    await this.#call(following ? "unfollow" : "follow", request, button);
  }
  /**
   * Call one of the integration's actions on a request, once at a time per button.
   *
   * @param {string} action
   * @param {RequestView} request
   * @param {HTMLElement} button
   */
  async #call(action, request, button) {
    const hass = this.#hass;
    if (!hass || button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    try {
      await hass.callService(DOMAIN, action, {}, { device_id: request.deviceId });
    } catch {
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }
};
function setText(element2, text2) {
  if (element2.textContent !== text2) element2.textContent = text2;
}

// frontend/src/editor.js
var MediaRequestCardEditor = class extends HTMLElement {
  /** @type {CardConfig | undefined} */
  #config;
  /** @type {Hass | undefined} */
  #hass;
  /** @type {HaForm | undefined} */
  #form;
  /** @type {Hass["localize"] | undefined} */
  #localize;
  /** @param {CardConfig} config */
  setConfig(config) {
    this.#config = config;
    this.#update();
  }
  /** @param {Hass} hass */
  set hass(hass) {
    this.#hass = hass;
    this.#update();
  }
  async connectedCallback() {
    await loadHaForm();
    this.#update();
  }
  #update() {
    if (!this.#config || !this.#hass || !customElements.get("ha-form")) return;
    if (!this.#form) {
      const form = (
        /** @type {HaForm} */
        document.createElement("ha-form")
      );
      form.computeLabel = ({ name }) => EDITOR_LABELS[
        /** @type {keyof EDITOR_LABELS} */
        name
      ] ?? name;
      form.computeHelper = ({ name }) => EDITOR_HELPERS[
        /** @type {keyof EDITOR_HELPERS} */
        name
      ];
      form.addEventListener("value-changed", (event) => this.#changed(
        /** @type {CustomEvent} */
        event
      ));
      this.replaceChildren(form);
      this.#form = form;
    }
    this.#form.hass = this.#hass;
    if (this.#localize !== this.#hass.localize) {
      this.#localize = this.#hass.localize;
      this.#form.schema = editorSchema(this.#localize);
    }
    this.#form.data = editorData(this.#config);
  }
  /** @param {CustomEvent<{ value: Record<string, unknown> }>} event */
  #changed(event) {
    event.stopPropagation();
    const config = cleanConfig({ type: this.#config?.type, ...event.detail.value });
    this.#config = config;
    this.dispatchEvent(new CustomEvent("config-changed", { bubbles: true, composed: true, detail: { config } }));
  }
};
async function loadHaForm() {
  if (customElements.get("ha-form")) return;
  const helpers = await /** @type {any} */
  window.loadCardHelpers?.();
  const card = await helpers?.createCardElement({ type: "entities", entities: [] });
  await card?.constructor.getConfigElement?.();
  await customElements.whenDefined("ha-form");
}

// frontend/src/index.js
var FRONTEND_ROOTS = ["home-assistant", "hc-main"];
var picker = (
  /** @type {any} */
  window
);
picker.customCards ??= [];
if (!picker.customCards.some((card) => card.type === CARD_TAG)) {
  picker.customCards.push({
    type: CARD_TAG,
    name: "Media request card",
    description: "Media requests from Jellyseerr to Jellyfin, live: state, progress, problems and episodes.",
    preview: true,
    documentationURL: "https://github.com/media-request-tracker/media-request-tracker#dashboard-card"
  });
}
Promise.race(FRONTEND_ROOTS.map((tag) => customElements.whenDefined(tag))).then(() => {
  if (!customElements.get(EDITOR_TAG)) customElements.define(EDITOR_TAG, MediaRequestCardEditor);
  if (!customElements.get(CARD_TAG)) customElements.define(CARD_TAG, MediaRequestCard);
}).catch((error) => console.error("Media request card could not be defined", error));
