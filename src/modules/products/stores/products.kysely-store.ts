import type { Kysely, Selectable } from 'kysely';
import type { DB, ProductsTable } from '../../../db/schema.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { AppError } from '../../../lib/errors.js';
import type { ProductStore, ProductRecord } from '../products.store.js';

const toRecord = (r: Selectable<ProductsTable>): ProductRecord => ({
  tenantId: r.tenant_id,
  id: r.id,
  name: r.name,
  description: r.description,
  active: r.active,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createKyselyProductStore(db: Kysely<DB>): ProductStore {
  return {
    async seed(tenantId, products) {
      if (products.length === 0) return;
      await db
        .insertInto('products')
        .values(
          products.map((p) => ({
            tenant_id: tenantId,
            id: p.id,
            name: p.name,
            description: p.description,
            active: p.active,
            created_at: p.createdAt,
            updated_at: p.updatedAt,
          })),
        )
        .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
        .execute();
    },
    async list(tenantId) {
      const rows = await db.selectFrom('products').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
      return rows.map(toRecord);
    },
    async find(tenantId, id) {
      const row = await db.selectFrom('products').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async create(p) {
      try {
        const row = await db
          .insertInto('products')
          .values({
            tenant_id: p.tenantId,
            id: p.id,
            name: p.name,
            description: p.description,
            active: p.active,
            created_at: p.createdAt,
            updated_at: p.updatedAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toRecord(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('PRODUCT_EXISTS', 'A product with this id already exists');
        throw err;
      }
    },
    async update(tenantId, id, patch, now) {
      const row = await db
        .updateTable('products')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.active !== undefined ? { active: patch.active } : {}),
          updated_at: now,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
  };
}
