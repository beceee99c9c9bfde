/**
 * The part of a key Redis Cluster hashes to choose its slot: the text between the first `{` and
 * the first `}` after it when that is not empty, else the whole key (the cluster specification's rule).
 * Charges with the same tag are decided by one script call.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
