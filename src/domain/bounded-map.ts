/**
 * Sets `key` in a per-isolate cache of at most `max` entries, forgetting the one set longest ago
 * first: an isolate may live for hours, and a cache keyed by tokens or SKUs must not grow with it.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
