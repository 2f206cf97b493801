/**
 * Entry point of the bundle: defines the card and its editor and lists the
 * card in the dashboard's card picker.
 */

import { CARD_TAG, EDITOR_TAG, MediaRequestCard } from "./card.js";
import { MediaRequestCardEditor } from "./editor.js";

// The module can be loaded twice (the integration adds it, and a user may also
// have added it as a dashboard resource); defining an element twice throws.
if (!customElements.get(CARD_TAG)) {
  customElements.define(EDITOR_TAG, MediaRequestCardEditor);
  customElements.define(CARD_TAG, MediaRequestCard);
  const picker = /** @type {any} */ (window);
  picker.customCards ??= [];
  picker.customCards.push({
    type: CARD_TAG,
    name: "Media request card",
    description: "Media requests from Jellyseerr to Jellyfin, live: state, progress, problems and episodes.",
    preview: true,
    documentationURL: "https://github.com/media-request-tracker/media-request-tracker#dashboard-card",
  });
}
