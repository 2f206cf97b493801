/**
 * Entry point of the bundle: defines the card and its editor and lists the
 * card in the dashboard's card picker.
 *
 * The integration has every frontend load this module beside the frontend's own
 * (`add_extra_js_url`), so it may run before the frontend has started. As it
 * starts, the frontend replaces the browser's custom element registry with a
 * scoped-registry polyfill, and elements defined before that are unknown to it:
 * the dashboard would say "Custom element doesn't exist". So the elements are
 * defined once the frontend's root element is, whichever ran first.
 */

import { CARD_TAG, EDITOR_TAG, MediaRequestCard } from "./card.js";
import { MediaRequestCardEditor } from "./editor.js";

/** The root element of the main frontend, and of the cast receiver. */
const FRONTEND_ROOTS = ["home-assistant", "hc-main"];

const picker = /** @type {any} */ (window);
picker.customCards ??= [];
if (!picker.customCards.some((/** @type {{ type: string }} */ card) => card.type === CARD_TAG)) {
  picker.customCards.push({
    type: CARD_TAG,
    name: "Media request card",
    description: "Media requests from Jellyseerr to Jellyfin, live: state, progress, problems and episodes.",
    preview: true,
    documentationURL: "https://github.com/media-request-tracker/media-request-tracker#dashboard-card",
  });
}

Promise.race(FRONTEND_ROOTS.map((tag) => customElements.whenDefined(tag)))
  .then(() => {
    // The module can be loaded twice (the integration adds it, and a user may also
    // have added it as a dashboard resource); defining an element twice throws.
    if (!customElements.get(EDITOR_TAG)) customElements.define(EDITOR_TAG, MediaRequestCardEditor);
    if (!customElements.get(CARD_TAG)) customElements.define(CARD_TAG, MediaRequestCard);
  })
  .catch((error) => console.error("Media request card could not be defined", error));
