import { describe, expect, it } from 'vitest';
import type { AppError } from '../../src/lib/errors.js';
import type { ProductRecord } from '../../src/modules/products/products.store.js';
import { at, expectAppError, newTenant, race, type ContractBackend } from './harness.js';

type Seed = Omit<ProductRecord, 'tenantId'>;

const catalogue = (): Seed[] => [
  {
    id: 'prod-term-loan',
    name: 'Term loan',
    description: 'Amortising term loan',
    active: true,
    createdAt: at(0),
    updatedAt: at(0),
  },
  {
    id: 'prod-revolver',
    name: 'Revolving credit',
    description: 'RCF',
    active: true,
    createdAt: at(0),
    updatedAt: at(0),
  },
  {
    id: 'prod-bridge',
    name: 'Bridge loan',
    description: '',
    active: false,
    createdAt: at(0),
    updatedAt: at(0),
  },
];

export function productStoreContract(backend: ContractBackend): void {
  const store = () => backend.stores.products;

  describe('ProductStore', () => {
    it('seeds a catalogue and lists it by id', async () => {
      const t = newTenant();
      await store().seed(t, catalogue());
      const listed = await store().list(t);
      expect(listed.map((p) => p.id)).toEqual(['prod-bridge', 'prod-revolver', 'prod-term-loan']);
      expect(listed.find((p) => p.id === 'prod-bridge')).toEqual({ ...catalogue()[2], tenantId: t });
    });

    it('seeds idempotently, keeping what exists (even edited), also when seeds race', async () => {
      const t = newTenant();
      await store().seed(t, catalogue());
      await store().update(t, 'prod-revolver', { name: 'RCF (edited)' }, at(1000));
      const more: Seed = {
        id: 'prod-asset',
        name: 'Asset finance',
        description: 'x',
        active: true,
        createdAt: at(0),
        updatedAt: at(0),
      };
      await Promise.all([
        store().seed(t, [...catalogue(), more]),
        store().seed(t, [...catalogue(), more]),
        store().seed(t, []),
      ]);
      const listed = await store().list(t);
      expect(listed.map((p) => p.id)).toEqual([
        'prod-asset',
        'prod-bridge',
        'prod-revolver',
        'prod-term-loan',
      ]);
      expect(listed.find((p) => p.id === 'prod-revolver')?.name).toBe('RCF (edited)');
    });

    it('keeps catalogues of tenants apart', async () => {
      const a = newTenant();
      const b = newTenant();
      await store().seed(a, catalogue());
      expect(await store().list(b)).toEqual([]);
      expect(await store().find(b, 'prod-term-loan')).toBeUndefined();
      expect(await store().update(b, 'prod-term-loan', { active: false }, at(1000))).toBeUndefined();
      expect((await store().find(a, 'prod-term-loan'))?.active).toBe(true);
      // The same id in another tenant is another product.
      const own = await store().create({ ...catalogue()[0]!, tenantId: b, name: 'B term loan' });
      expect((await store().find(b, own.id))?.name).toBe('B term loan');
      expect((await store().find(a, own.id))?.name).toBe('Term loan');
    });

    it('creates a product and refuses a taken id with PRODUCT_EXISTS', async () => {
      const t = newTenant();
      const p: ProductRecord = {
        tenantId: t,
        id: 'prod-new',
        name: 'New',
        description: 'd',
        active: true,
        createdAt: at(5),
        updatedAt: at(5),
      };
      expect(await store().create(p)).toEqual(p);
      expect(await store().find(t, 'prod-new')).toEqual(p);
      await expectAppError(store().create({ ...p, name: 'Other' }), 'PRODUCT_EXISTS');
      expect((await store().find(t, 'prod-new'))?.name).toBe('New');
    });

    it('lets exactly one of several concurrent creates of one id win', async () => {
      const t = newTenant();
      const { fulfilled, rejected } = await race(
        Array.from(
          { length: 5 },
          (_, i) => () =>
            store().create({
              tenantId: t,
              id: 'prod-race',
              name: `N${i}`,
              description: '',
              active: true,
              createdAt: at(0),
              updatedAt: at(0),
            }),
        ),
      );
      expect(fulfilled).toHaveLength(1);
      for (const err of rejected) expect((err as AppError).code).toBe('PRODUCT_EXISTS');
      expect((await store().find(t, 'prod-race'))?.name).toBe(fulfilled[0]!.name);
    });

    it('updates the given fields only, and reports an unknown id', async () => {
      const t = newTenant();
      await store().seed(t, catalogue());
      const updated = await store().update(t, 'prod-term-loan', { active: false }, at(9000));
      expect(updated).toEqual({ ...catalogue()[0], tenantId: t, active: false, updatedAt: at(9000) });
      const renamed = await store().update(
        t,
        'prod-term-loan',
        { name: 'Term', description: 'new' },
        at(9500),
      );
      expect(renamed).toMatchObject({ name: 'Term', description: 'new', active: false, updatedAt: at(9500) });
      expect(await store().find(t, 'prod-term-loan')).toEqual(renamed);
      expect(await store().update(t, 'prod-missing', { name: 'x' }, at(9000))).toBeUndefined();
    });
  });
}
