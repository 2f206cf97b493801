/**
 * `media-request-card`: the tracked requests of Media Request Tracker, live.
 *
 * Home Assistant sets `hass` on every state change anywhere in the house. The
 * card redraws only when one of its own entities' state objects changed, and
 * then patches only the rows whose request or episodes changed.
 */

import { parseConfig } from "./config.js";
import { formatState, stateName } from "./format.js";
import {
  ACTIVE_STATES,
  DOMAIN,
  actionFor,
  collectRequests,
  personBadge,
  personOf,
  requestChanged,
  selectRequests,
  snapshotStates,
  statesChanged,
  trackerEntityIds,
} from "./model.js";
import { RequestRow } from "./row.js";
import { styles } from "./styles.js";

/** @typedef {import("./config.js").CardOptions} CardOptions */
/** @typedef {import("./model.js").HassEntity} HassEntity */
/** @typedef {import("./model.js").RequestView} RequestView */
/** @typedef {import("./row.js").RowContext} RowContext */

/**
 * @typedef {import("./model.js").Registries & {
 *   localize: (key: string) => string,
 *   locale?: { language: string },
 *   language?: string,
 *   user?: { id: string, is_admin: boolean },
 *   formatEntityState?: (stateObj: HassEntity) => string,
 *   callService: (domain: string, service: string, data?: object, target?: object) => Promise<unknown>,
 * }} Hass The parts of Home Assistant's `hass` object the card uses.
 */

export const CARD_TAG = "media-request-card";
const MINUTE = 60_000;
export const EDITOR_TAG = "media-request-card-editor";

export class MediaRequestCard extends HTMLElement {
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
  #snapshot = new Map();

  /** Shown rows by request key, in display order. */
  /** @type {Map<string, RequestRow>} */
  #rows = new Map();

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
    /** @param {string} selector */
    const part = (selector) => /** @type {HTMLElement} */ (root.querySelector(selector));
    this.#card = part("ha-card");
    this.#list = part(".requests");
    this.#empty = part(".empty");
    this.#more = part(".more");
    // One listener for all rows: rows come and go with every update.
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
    this.#clock = undefined;
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
    // Compact and full rows are built differently: start the list over.
    this.#rows.clear();
    this.#list.replaceChildren();
    this.#card.classList.toggle("compact", options.compact);
    this.#list.setAttribute("aria-label", options.title ?? "Media requests");
    // An attribute, not the property: ha-card may not be defined yet.
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
    // The words change with the language or number format: redraw every row.
    const reword = !previous || hass.localize !== previous.localize || hass.locale !== previous.locale;
    const unchanged =
      !reword &&
      hass.entities === previous.entities &&
      hass.devices === previous.devices &&
      !statesChanged(hass.states, this.#snapshot);
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
    // Registries change rarely; scanning them on every state change would not scale.
    if (hass.entities !== this.#indexedEntities) {
      this.#indexedEntities = hass.entities;
      this.#entityIds = trackerEntityIds(hass.entities);
    }
    this.#snapshot = snapshotStates(hass.states, this.#entityIds);
    const requests = collectRequests(hass, this.#entityIds, options.configEntry);
    const { shown, hidden } = selectRequests(requests, options);
    /** @type {RowContext} */
    const context = {
      locale: hass.locale?.language ?? hass.language ?? navigator.language,
      now: Date.now(),
      formatState: (stateObj) => formatState(stateObj, hass.formatEntityState, hass.localize),
      stateName: (state) => stateName(state, hass.localize),
      me: personOf(hass.states, hass.user?.id),
      person: (entityId) => personBadge(hass.states, entityId),
    };

    /** @type {Map<string, RequestRow>} */
    const rows = new Map();
    // Keyed reconciliation: rows that stay are moved, never rebuilt.
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
    const target = /** @type {Element} */ (event.target);
    const key = target.closest("li")?.dataset.requestKey;
    const request = key === undefined ? undefined : this.#rows.get(key)?.view;
    if (!request) return;
    const action = target.closest(".action");
    const follow = target.closest(".follow");
    if (action) this.#runAction(request, /** @type {HTMLElement} */ (action));
    else if (follow) this.#toggleFollow(request, /** @type {HTMLElement} */ (follow));
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
      // How Home Assistant's own cards navigate without reloading the app.
      history.pushState(null, "", `/config/devices/device/${request.deviceId}`);
      window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
    } else {
      this.dispatchEvent(
        new CustomEvent("hass-more-info", { bubbles: true, composed: true, detail: { entityId: request.entityId } }),
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
    // aria-disabled rather than disabled: a disabled button would drop keyboard focus.
    button.setAttribute("aria-disabled", "true");
    try {
      await hass.callService(DOMAIN, action, {}, { device_id: request.deviceId });
    } catch {
      // Home Assistant has already shown the error as a notification.
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }
}

/**
 * Setting the same text again would still replace the text node: leave the
 * DOM alone when nothing changed.
 *
 * @param {HTMLElement} element
 * @param {string} text
 */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
