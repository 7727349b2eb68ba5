/**
 * JSON merge patch (RFC 7396) adapted to the booking sheet, whose objects always carry every
 * member (each may be null): a patch object is merged member by member into the target, arrays
 * and scalars replace what was there, and `null` sets the member to null. Plain RFC 7396 would
 * remove the member instead, which for our schemas only ever produces an invalid object; storing
 * the explicit null is what "delete" means here. A patch that is not an object replaces the
 * target whole.
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own, enumerable, and never the prototype, whatever the key (`__proto__` included). */
function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = {};
  if (isPlainObject(target)) for (const [k, v] of Object.entries(target)) setMember(out, k, v);
  for (const [key, value] of Object.entries(patch)) {
    const current = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    setMember(out, key, value === null ? null : mergePatch(current, value));
  }
  return out;
}
