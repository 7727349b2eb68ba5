export interface ProductRecord {
  tenantId: string;
  id: string;
  name: string;
  description: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** The product catalogue of a tenant. Seeded with the legacy catalogue; admins add and retire. */
export interface ProductStore {
  /** Inserts the products that do not exist yet (idempotent, safe under concurrency). */
  seed(tenantId: string, products: readonly Omit<ProductRecord, 'tenantId'>[]): Promise<void>;
  list(tenantId: string): Promise<ProductRecord[]>;
  find(tenantId: string, id: string): Promise<ProductRecord | undefined>;
  /** PRODUCT_EXISTS when the id is taken. */
  create(record: ProductRecord): Promise<ProductRecord>;
  update(tenantId: string, id: string, patch: { name?: string; description?: string; active?: boolean }, now: Date): Promise<ProductRecord | undefined>;
}
