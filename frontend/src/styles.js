/**
 * The card's styles. Colours come from Home Assistant's theme variables, so
 * the card follows light and dark themes; state colours are tints behind
 * primary text, which keeps the contrast of the theme's own text. The episode
 * grid's colours are its own (`EPISODE_LOOKS`), chosen to read on both.
 */

import { EPISODE_LOOKS } from "./model.js";

const episodeColors = Object.entries(EPISODE_LOOKS)
  .map(
    ([state, { color }]) =>
      `.cell[data-state="${state}"], .swatch[data-state="${state}"] { --look: var(--mrt-episode-${state.replaceAll("_", "-")}, ${color}); }`,
  )
  .join("\n  ");

export const styles = `
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
