/**
 * `media-request-card-editor`: the card's visual editor, built on Home
 * Assistant's own `ha-form` so that it looks and behaves like the built-in
 * card editors.
 */

import { EDITOR_HELPERS, EDITOR_LABELS, cleanConfig, editorData, editorSchema } from "./config.js";

/** @typedef {import("./config.js").CardConfig} CardConfig */
/** @typedef {import("./card.js").Hass} Hass */

/**
 * @typedef {HTMLElement & {
 *   hass: Hass,
 *   data: object,
 *   schema: object[],
 *   computeLabel: (field: { name: string }) => string,
 *   computeHelper: (field: { name: string }) => string | undefined,
 * }} HaForm
 */

export class MediaRequestCardEditor extends HTMLElement {
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
      const form = /** @type {HaForm} */ (document.createElement("ha-form"));
      form.computeLabel = ({ name }) => EDITOR_LABELS[/** @type {keyof EDITOR_LABELS} */ (name)] ?? name;
      form.computeHelper = ({ name }) => EDITOR_HELPERS[/** @type {keyof EDITOR_HELPERS} */ (name)];
      form.addEventListener("value-changed", (event) => this.#changed(/** @type {CustomEvent} */ (event)));
      this.replaceChildren(form);
      this.#form = form;
    }
    this.#form.hass = this.#hass;
    // A new schema redraws the form: only make one when the language changed.
    if (this.#localize !== this.#hass.localize) {
      this.#localize = this.#hass.localize;
      this.#form.schema = editorSchema(this.#localize);
    }
    this.#form.data = editorData(this.#config);
  }

  /** @param {CustomEvent<{ value: Record<string, unknown> }>} event */
  #changed(event) {
    // The dashboard editor listens for config-changed, not the form's own event.
    event.stopPropagation();
    const config = cleanConfig({ type: this.#config?.type, ...event.detail.value });
    this.#config = config;
    this.dispatchEvent(new CustomEvent("config-changed", { bubbles: true, composed: true, detail: { config } }));
  }
}

/**
 * Home Assistant loads `ha-form` lazily, with the editors that use it; asking
 * for a built-in card's editor loads it when no other editor has yet.
 */
async function loadHaForm() {
  if (customElements.get("ha-form")) return;
  const helpers = await /** @type {any} */ (window).loadCardHelpers?.();
  const card = await helpers?.createCardElement({ type: "entities", entities: [] });
  await card?.constructor.getConfigElement?.();
  await customElements.whenDefined("ha-form");
}
