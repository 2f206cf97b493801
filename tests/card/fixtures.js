/**
 * Fake `hass` registries and states, shaped as Home Assistant's frontend
 * holds them for the integration's entities (DESIGN §4).
 */

export const ENTRY_ID = "entry_a";
const PLATFORM = "media_request_tracker";

/**
 * @typedef {object} RequestSpec
 * @property {string} key
 * @property {string} [state]
 * @property {string} [entry] Config entry id; ENTRY_ID by default.
 * @property {Record<string, unknown>} [attributes] Over the defaults.
 * @property {[season: number, episode: number, state: string][]} [episodes]
 */

/**
 * @param {RequestSpec[]} requests
 * @returns {{ states: Record<string, any>, entities: Record<string, any>, devices: Record<string, any> }}
 */
export function makeHass(requests) {
  /** @type {Record<string, any>} */
  const states = {};
  /** @type {Record<string, any>} */
  const entities = {};
  /** @type {Record<string, any>} */
  const devices = {};

  for (const { key, state = "downloading", entry = ENTRY_ID, attributes = {}, episodes = [] } of requests) {
    const deviceId = `device_${entry}_${key}`;
    devices[deviceId] = {
      id: deviceId,
      config_entries: [entry],
      identifiers: [[PLATFORM, `${entry}_request_${key}`]],
    };
    const entityId = `sensor.request_${entry}_${key}`;
    entities[entityId] = { entity_id: entityId, platform: PLATFORM, device_id: deviceId };
    states[entityId] = {
      entity_id: entityId,
      state,
      attributes: {
        request_key: key,
        title: `Title ${key}`,
        year: 2024,
        media_type: episodes.length ? "tv" : "movie",
        is_anime: false,
        is_4k: false,
        requested_by: "alice",
        progress: null,
        download_speed: null,
        eta: null,
        stalled: false,
        problem: null,
        episodes_total: episodes.length,
        episodes_available: episodes.filter(([, , s]) => s === "available").length,
        poster_url: null,
        entity_picture: null,
        friendly_name: `Title ${key} (2024)`,
        ...attributes,
      },
    };
    // Each request device's followers sensor, which the card must not take for a request.
    const followersId = `sensor.request_${entry}_${key}_followers`;
    entities[followersId] = { entity_id: followersId, platform: PLATFORM, device_id: deviceId };
    states[followersId] = { entity_id: followersId, state: "", attributes: { persons: [] } };
    for (const [season, episode, episodeState] of episodes) {
      const episodeId = `sensor.request_${entry}_${key}_s${season}e${episode}`;
      entities[episodeId] = { entity_id: episodeId, platform: PLATFORM, device_id: deviceId };
      states[episodeId] = {
        entity_id: episodeId,
        state: episodeState,
        attributes: { season, episode, title: null, progress: null, stalled: false, problem: null },
      };
    }
  }

  // The entry's service device: summary sensors and connectivity binary sensors.
  devices.service = { id: "service", config_entries: [ENTRY_ID], identifiers: [[PLATFORM, ENTRY_ID]] };
  entities["sensor.active_requests"] = { entity_id: "sensor.active_requests", platform: PLATFORM, device_id: "service" };
  states["sensor.active_requests"] = { entity_id: "sensor.active_requests", state: "3", attributes: {} };
  entities["binary_sensor.jellyseerr_connection"] = {
    entity_id: "binary_sensor.jellyseerr_connection",
    platform: PLATFORM,
    device_id: "service",
  };
  states["binary_sensor.jellyseerr_connection"] = {
    entity_id: "binary_sensor.jellyseerr_connection",
    state: "on",
    attributes: {},
  };
  // Another integration's sensor that happens to look like ours.
  entities["sensor.lookalike"] = { entity_id: "sensor.lookalike", platform: "template", device_id: "other" };
  states["sensor.lookalike"] = { entity_id: "sensor.lookalike", state: "downloading", attributes: { request_key: "1" } };

  return { states, entities, devices };
}

/**
 * A copy of `hass` where one entity got a new state object, as Home
 * Assistant does on a state or attribute change.
 *
 * @param {ReturnType<typeof makeHass>} hass
 * @param {string} entityId
 * @param {{ state?: string, attributes?: Record<string, unknown> }} change
 */
export function withState(hass, entityId, { state, attributes = {} }) {
  const old = hass.states[entityId];
  return {
    ...hass,
    states: {
      ...hass.states,
      [entityId]: { ...old, state: state ?? old.state, attributes: { ...old.attributes, ...attributes } },
    },
  };
}
