import { AppError } from '../../lib/errors.js';
import { cleanText } from '../../lib/text.js';
import type { Cache } from '../../lib/cache.js';
import type { Clock } from '../../lib/clock.js';
import type { RequestMeta } from '../../lib/request-meta.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ProductStore, ProductRecord } from './products.store.js';
import { DEFAULT_PRODUCTS } from './products.catalogue.js';

export interface ProductView {
  id: string;
  name: string;
  description: string;
  active: boolean;
  created_at: string;
  updated_at: string;
}

export const toProductView = (p: ProductRecord): ProductView => ({
  id: p.id,
  name: p.name,
  description: p.description,
  active: p.active,
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
});

export interface ProductService {
  /** The tenant's catalogue (retired ones included, flagged), cached. Returns the serialised list too. */
  list(tenantId: string): Promise<ProductView[]>;
  get(tenantId: string, id: string): Promise<ProductView>;
  /** The active product or UNKNOWN_PRODUCT naming the valid ids (for booking validation). */
  requireActive(tenantId: string, id: string): Promise<ProductView>;
  create(input: { id: string; name: string; description: string }, meta: RequestMeta): Promise<ProductView>;
  update(id: string, patch: { name?: string; description?: string; active?: boolean }, meta: RequestMeta): Promise<ProductView>;
}

const CACHE_TTL_MS = 60_000;

export function createProductService(store: ProductStore, cache: Cache, clock: Clock, audit: AuditService): ProductService {
  const seeded = new Set<string>();
  const cacheKey = (tenantId: string) => `products:${tenantId}`;

  async function load(tenantId: string): Promise<ProductView[]> {
    const hit = await cache.get(cacheKey(tenantId));
    if (hit) return JSON.parse(hit) as ProductView[];
    if (!seeded.has(tenantId)) {
      // Every tenant starts with the standard catalogue; seeding is idempotent and done once per process.
      const now = clock.now();
      await store.seed(tenantId, DEFAULT_PRODUCTS.map((p) => ({ ...p, active: true, createdAt: now, updatedAt: now })));
      seeded.add(tenantId);
    }
    const list = (await store.list(tenantId)).map(toProductView);
    await cache.set(cacheKey(tenantId), JSON.stringify(list), CACHE_TTL_MS);
    return list;
  }

  return {
    list: load,
    async get(tenantId, id) {
      const p = (await load(tenantId)).find((x) => x.id === id);
      if (!p) throw new AppError('PRODUCT_NOT_FOUND');
      return p;
    },
    async requireActive(tenantId, id) {
      const all = await load(tenantId);
      const p = all.find((x) => x.id === id && x.active);
      if (!p) {
        const valid = all.filter((x) => x.active).map((x) => x.id);
        throw new AppError('UNKNOWN_PRODUCT', `Unknown product; valid products: ${valid.join(', ')}`, {
          fieldErrors: { product_id: [`must be one of: ${valid.join(', ')}`] },
          details: { valid_product_ids: valid },
        });
      }
      return p;
    },
    async create(input, meta) {
      const tenantId = meta.principal!.tenantId;
      await load(tenantId);
      const now = clock.now();
      const created = await store.create({
        tenantId,
        id: input.id,
        name: cleanText(input.name, 'name'),
        description: cleanText(input.description, 'description'),
        active: true,
        createdAt: now,
        updatedAt: now,
      });
      await cache.delete(cacheKey(tenantId));
      await audit.record(meta, { action: 'product.create', outcome: 'success', targetType: 'product', targetId: created.id });
      return toProductView(created);
    },
    async update(id, patch, meta) {
      const tenantId = meta.principal!.tenantId;
      await load(tenantId);
      const changes = {
        ...(patch.name !== undefined ? { name: cleanText(patch.name, 'name') } : {}),
        ...(patch.description !== undefined ? { description: cleanText(patch.description, 'description') } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
      };
      const updated = await store.update(tenantId, id, changes, clock.now());
      if (!updated) throw new AppError('PRODUCT_NOT_FOUND');
      await cache.delete(cacheKey(tenantId));
      await audit.record(meta, { action: 'product.update', outcome: 'success', targetType: 'product', targetId: id, details: { ...changes } });
      return toProductView(updated);
    },
  };
}
