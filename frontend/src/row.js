/**
 * One request's row. The row's elements are made once and then patched in
 * place, so a live update keeps keyboard focus and does not reload posters.
 */

import { formatEpisode, formatEta, formatPercent, formatSpeed, formatWatchable } from "./format.js";
import {
  EPISODE_LOOKS,
  actionFor,
  canFollow,
  downloadProgress,
  episodeCounts,
  episodeGrid,
  stateTone,
  waitingLine,
} from "./model.js";

/** @typedef {import("./model.js").HassEntity} HassEntity */
/** @typedef {import("./model.js").RequestView} RequestView */
/** @typedef {import("./model.js").EpisodeView} EpisodeView */
/** @typedef {import("./model.js").PersonBadge} PersonBadge */

/**
 * @typedef {object} RowContext How to word things in the user's language, and when.
 * @property {string} locale
 * @property {number} now Milliseconds since the epoch.
 * @property {(stateObj: HassEntity) => string} formatState
 * @property {(state: string) => string} stateName
 * @property {string | null} me The signed-in user's person, if they are one.
 * @property {(entityId: string) => PersonBadge} person
 */

/**
 * @typedef {object} Episodes The episode grid and its legend.
 * @property {HTMLElement} container
 * @property {HTMLElement} grid
 * @property {HTMLElement} toggle
 * @property {HTMLElement} legend
 * @property {boolean} open Whether the legend shows; kept across redraws.
 */

/**
 * @typedef {object} Poster
 * @property {HTMLImageElement} image
 * @property {HTMLElement} icon Shown while there is no poster.
 * @property {string | null} url
 */

/**
 * @typedef {object} People Who follows the request, and the signed-in user's toggle.
 * @property {HTMLElement} followers
 * @property {HTMLElement} follow
 * @property {HTMLElement} followIcon
 */

// Beyond this many followers, the rest are counted ("+2").
const MAX_AVATARS = 4;
const ACTION_ICONS = { retry: "mdi:restart", refresh: "mdi:refresh" };
const ACTION_LABELS = { retry: "Retry", refresh: "Refresh" };

const template = document.createElement("template");
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

export class RequestRow {
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
    const fragment = /** @type {DocumentFragment} */ (template.content.cloneNode(true));
    this.element = /** @type {HTMLLIElement} */ (fragment.firstElementChild);
    /** @param {string} selector */
    const part = (selector) => /** @type {HTMLElement} */ (this.element.querySelector(selector));

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
      open: false,
    };
    const people = part(".people");
    this.#people = {
      followers: part(".followers"),
      follow: part(".follow"),
      followIcon: part(".follow ha-icon"),
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
    const image = /** @type {HTMLImageElement} */ (poster.querySelector("img"));
    const icon = /** @type {HTMLElement} */ (poster.querySelector("ha-icon"));
    this.#poster = { image, icon, url: null };
    // A poster URL that no longer answers shows the placeholder icon instead.
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
    // An attribute, not the property: ha-icon may not be defined yet.
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
    const { percent, eta, speed } = download;
    const timeLeft = formatEta(eta, locale);
    const text = [
      percent === null ? null : formatPercent(percent, locale),
      timeLeft === null ? null : `${timeLeft} left`,
      formatSpeed(speed, locale),
    ]
      .filter((part) => part !== null)
      .join(" · ");
    this.#downloadText.textContent = text;
    // Without a percentage the bar is indeterminate (styled on the missing value).
    if (percent === null) {
      this.#progress.removeAttribute("aria-valuenow");
      this.#bar.style.width = "";
    } else {
      this.#progress.setAttribute("aria-valuenow", String(Math.floor(percent)));
      this.#bar.style.width = `${percent}%`;
    }
    if (text) this.#progress.setAttribute("aria-valuetext", text);
    else this.#progress.removeAttribute("aria-valuetext");
  }

  /**
   * @param {Poster} poster
   * @param {RequestView} request
   */
  #updatePoster(poster, request) {
    poster.icon.setAttribute("icon", request.mediaType === "tv" ? "mdi:television-classic" : "mdi:movie-open");
    // Only a new URL touches the image: setting the same `src` again would reload it.
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
}

/**
 * Followers' pictures or initials, and a bell the signed-in user follows with.
 *
 * @param {People} people
 * @param {RequestView} request
 * @param {RowContext} context
 */
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
  // One who follows can always stop; a finished request takes no new followers.
  follow.hidden = context.me === null || (!following && !canFollow(request));
  const label = `${following ? "Unfollow" : "Follow"} ${request.title}`;
  follow.setAttribute("aria-pressed", String(following));
  follow.setAttribute("aria-label", label);
  follow.title = label;
  followIcon.setAttribute("icon", following ? "mdi:bell-ring" : "mdi:bell-plus-outline");
}

/**
 * @param {PersonBadge} badge
 * @returns {HTMLElement}
 */
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

/**
 * @param {EpisodeView} episode
 * @param {RowContext} context
 * @returns {HTMLElement}
 */
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

/**
 * What each colour and shape of the grid means, with how many episodes have it.
 *
 * @param {[state: string, count: number][]} counted
 * @param {RowContext} context
 * @returns {HTMLElement[]}
 */
function legendItems(counted, context) {
  return counted.map(([state, count]) => {
    const item = element("li", "legend-item");
    const swatch = element("span", "swatch");
    look(swatch, state);
    item.append(swatch, `${context.stateName(state)} ${count}`);
    return item;
  });
}

/**
 * Draw an element as the grid draws an episode in `state`.
 *
 * @param {HTMLElement} target
 * @param {string} state
 */
function look(target, state) {
  target.dataset.state = state;
  target.dataset.look = EPISODE_LOOKS[state]?.shape ?? "ring";
}

/**
 * Who asked, and for TV how far along the episodes are.
 *
 * @param {RequestView} request
 * @returns {string}
 */
function meta(request) {
  const parts = [];
  if (request.requestedBy !== null) parts.push(`Requested by ${request.requestedBy}`);
  if (request.mediaType === "tv" && request.episodesTotal > 0) {
    parts.push(`${request.episodesAvailable}/${request.episodesTotal} episodes`);
  }
  return parts.join(" · ");
}

/**
 * @param {string} tag
 * @param {string} className
 * @returns {HTMLElement}
 */
function element(tag, className) {
  const created = document.createElement(tag);
  created.className = className;
  return created;
}
