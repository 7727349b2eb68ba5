import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { accessPlugin } from '../plugins/access.js';
import { idempotencyPlugin } from '../plugins/idempotency.js';
import { authRoutes, UserSchema } from './auth/auth.routes.js';
import { productRoutes, ProductSchema } from './products/products.routes.js';
import { LoanBookingSchema, SyncStatusSchema } from './loan-bookings/loan-bookings.schemas.js';
import multipart from '@fastify/multipart';
import { documentRoutes, DocumentSchema } from './documents/documents.routes.js';
import { loanBookingRoutes } from './loan-bookings/loan-bookings.routes.js';
import { extractionRoutes } from './extraction/extraction.routes.js';
import { EvidenceSchema, ExtractionRunSchema, ExtractionRunSummarySchema, ExtractionSchemaDetailSchema, ExtractionSchemaSummarySchema, FieldResultSchema } from './extraction/extraction.schemas.js';
import { bookingSheetRoutes } from './booking-sheets/booking-sheets.routes.js';
import { BookingSheetSchema, ReviewQueueItemSchema, SheetExportSchema, SheetFieldSchema, SheetValidationSchema, SheetVersionSchema } from './booking-sheets/booking-sheets.schemas.js';

const DAY_MS = 24 * 3600 * 1000;

/** Registers the access pipeline and every domain module's routes. */
export async function registerModules(app: FastifyInstance, services: Services): Promise<void> {
  // Named schemas shared across modules live at the root so every route plugin can $ref them.
  for (const schema of [UserSchema, ProductSchema, SyncStatusSchema, LoanBookingSchema, DocumentSchema]) app.addSchema(schema);
  for (const schema of [EvidenceSchema, FieldResultSchema, ExtractionRunSchema, ExtractionRunSummarySchema, ExtractionSchemaSummarySchema, ExtractionSchemaDetailSchema]) app.addSchema(schema);
  for (const schema of [SheetFieldSchema, SheetValidationSchema, BookingSheetSchema, SheetVersionSchema, ReviewQueueItemSchema, SheetExportSchema]) app.addSchema(schema);
  const uploads = services.config.uploads;
  // Busboy's own limits sit just above ours so that the service's checks (which name the limit) fire first.
  await app.register(multipart, {
    limits: {
      fileSize: uploads.maxFileBytes + 1024 * 1024,
      files: uploads.maxFiles + 1,
      fields: 20,
      fieldSize: 4096,
      fieldNameSize: 100,
      parts: uploads.maxFiles + 21,
      headerPairs: 100,
    },
  });
  await app.register(accessPlugin, {
    auth: services.auth,
    audit: services.audit,
    redis: services.redis,
    limits: services.config.rateLimit,
  });
  await app.register(idempotencyPlugin, {
    store: services.stores.idempotency,
    clock: services.clock,
    ttlMs: DAY_MS,
    // A claim whose request never finished (process died) can be retried once the longest request could have ended.
    leaseMs: Math.max(60_000, services.config.server.requestTimeoutMs),
  });
  await app.register(authRoutes);
  await app.register(loanBookingRoutes);
  await app.register(productRoutes);
  await app.register(documentRoutes);
  await app.register(extractionRoutes);
  await app.register(bookingSheetRoutes);
}
