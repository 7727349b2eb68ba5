import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { accessPlugin } from '../plugins/access.js';
import { authRoutes } from './auth/auth.routes.js';

/** Registers the access pipeline and every domain module's routes. */
export async function registerModules(app: FastifyInstance, services: Services): Promise<void> {
  await app.register(accessPlugin, {
    auth: services.auth,
    audit: services.audit,
    redis: services.redis,
    limits: services.config.rateLimit,
  });
  await app.register(authRoutes);
}
