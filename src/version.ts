/** Reported in the OpenAPI document and at start-up; bumped with each release. */
export const SERVICE_VERSION = '1.0.0';
