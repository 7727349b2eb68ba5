/** Time source, overridable in tests so that expiry and ordering can be proven without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
