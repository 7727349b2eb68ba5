import type { Permission } from './roles.js';

/**
 * Who may call what: the one table of access rules, keyed by "METHOD /route/template".
 * `public` needs no token; `authenticated` needs any valid token; otherwise the permission named.
 * A /api/v1 route missing here is refused to everyone (fail closed), and a test walks the OpenAPI
 * document to make sure none is missing. Object-level checks (tenant, ownership) live in services.
 */
export type RouteRule = 'public' | 'authenticated' | Permission;

/** Stricter rate-limit bucket a route belongs to, on top of the per-user and per-IP limits. */
export type RateBucket = 'login' | 'upload' | 'extraction';

export const ROUTE_RULES: Record<string, RouteRule> = {
  // auth and users
  'POST /api/v1/auth/token': 'public',
  'POST /api/v1/auth/revoke': 'public',
  'GET /api/v1/auth/me': 'authenticated',
  'POST /api/v1/auth/password': 'authenticated',
  'GET /api/v1/users': 'users:manage',
  'POST /api/v1/users': 'users:manage',
  'GET /api/v1/users/:id': 'users:manage',
  'PATCH /api/v1/users/:id': 'users:manage',
  'POST /api/v1/users/:id/password-reset': 'users:manage',
  'GET /api/v1/audit-events': 'audit:read',
  // products
  'GET /api/v1/products': 'products:read',
  'POST /api/v1/products': 'products:manage',
  'GET /api/v1/products/:id': 'products:read',
  'PATCH /api/v1/products/:id': 'products:manage',
  'GET /api/v1/products/:id/loan-bookings': 'bookings:read',
  // loan bookings
  'GET /api/v1/loan-bookings': 'bookings:read',
  'POST /api/v1/loan-bookings': 'bookings:write',
  'GET /api/v1/loan-bookings/:id': 'bookings:read',
  'PATCH /api/v1/loan-bookings/:id': 'bookings:write',
  'DELETE /api/v1/loan-bookings/:id': 'bookings:delete',
  'GET /api/v1/loan-bookings/:id/sync-status': 'bookings:read',
  'PUT /api/v1/loan-bookings/:id/sync-status': 'sync:override',
  // documents
  'GET /api/v1/loan-bookings/:id/documents': 'documents:read',
  'POST /api/v1/loan-bookings/:id/documents': 'documents:write',
  'GET /api/v1/loan-bookings/:id/search': 'documents:read',
  'GET /api/v1/documents': 'documents:read',
  'GET /api/v1/documents/:id': 'documents:read',
  'GET /api/v1/documents/:id/content': 'documents:read',
  'GET /api/v1/documents/:id/pages': 'documents:read',
  'DELETE /api/v1/documents/:id': 'documents:delete',
  'POST /api/v1/documents/:id/reprocess': 'jobs:manage',
  'GET /api/v1/ingestion-jobs': 'documents:read',
  'GET /api/v1/ingestion-jobs/:id': 'documents:read',
  // extraction
  'GET /api/v1/extraction-schemas': 'extraction:read',
  'GET /api/v1/extraction-schemas/:name': 'extraction:read',
  'GET /api/v1/loan-bookings/:id/extractions': 'extraction:read',
  'POST /api/v1/loan-bookings/:id/extractions': 'extraction:run',
  'GET /api/v1/loan-bookings/:id/extractions/:runId': 'extraction:read',
  // booking sheets
  'GET /api/v1/loan-bookings/:id/booking-sheet': 'sheets:read',
  'POST /api/v1/loan-bookings/:id/booking-sheet': 'sheets:edit',
  'PATCH /api/v1/loan-bookings/:id/booking-sheet': 'sheets:edit',
  'GET /api/v1/loan-bookings/:id/booking-sheet/versions': 'sheets:read',
  'GET /api/v1/loan-bookings/:id/booking-sheet/export': 'sheets:read',
  'POST /api/v1/loan-bookings/:id/booking-sheet/submit': 'sheets:edit',
  'POST /api/v1/loan-bookings/:id/booking-sheet/approve': 'sheets:approve',
  'POST /api/v1/loan-bookings/:id/booking-sheet/reject': 'sheets:approve',
  'POST /api/v1/loan-bookings/:id/booking-sheet/reopen': 'sheets:edit',
  'GET /api/v1/review-queue': 'sheets:read',
  // operations
  'GET /api/v1/jobs': 'jobs:manage',
  'POST /api/v1/jobs/:id/retry': 'jobs:manage',
};

export const ROUTE_BUCKETS: Record<string, RateBucket> = {
  'POST /api/v1/auth/token': 'login',
  'POST /api/v1/loan-bookings/:id/documents': 'upload',
  'POST /api/v1/loan-bookings/:id/extractions': 'extraction',
};

export function routeKey(method: string, url: string): string {
  return `${method} ${url}`;
}
