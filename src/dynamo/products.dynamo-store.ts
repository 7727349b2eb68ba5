import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AppError } from '../lib/errors.js';
import type { ProductRecord, ProductStore } from '../modules/products/products.store.js';
import {
  isConditionalCheckFailed,
  iso,
  queryAll,
  str,
  updateExpression,
  type DynamoContext,
  type Item,
} from './client.js';
import { keys } from './tables.js';

const toRecord = (i: Item): ProductRecord => ({
  tenantId: str(i.tenantId),
  id: str(i.id),
  name: str(i.name),
  description: str(i.description),
  active: i.active === true,
  createdAt: new Date(str(i.createdAt)),
  updatedAt: new Date(str(i.updatedAt)),
});

const toItem = (p: ProductRecord): Item => ({
  pk: keys.products(p.tenantId),
  sk: p.id,
  entity: 'product',
  tenantId: p.tenantId,
  id: p.id,
  name: p.name,
  description: p.description,
  active: p.active,
  createdAt: iso(p.createdAt),
  updatedAt: iso(p.updatedAt),
});

/** A tenant's catalogue is one small partition: listing it is one Query, sorted by id. */
export function createDynamoProductStore({ doc, tables }: DynamoContext): ProductStore {
  const TableName = tables.platform;

  async function insert(p: ProductRecord): Promise<boolean> {
    try {
      await doc.send(
        new PutCommand({ TableName, Item: toItem(p), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  return {
    async seed(tenantId, products) {
      // Conditional puts: a product that exists (seeded by a concurrent start, or edited by an admin) is kept.
      for (const p of products) await insert({ ...p, tenantId });
    },
    async list(tenantId) {
      const items = await queryAll(doc, {
        TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.products(tenantId) },
        ConsistentRead: true,
      });
      return items.map(toRecord);
    },
    async find(tenantId, id) {
      const res = await doc.send(
        new GetCommand({ TableName, Key: { pk: keys.products(tenantId), sk: id }, ConsistentRead: true }),
      );
      return res.Item ? toRecord(res.Item) : undefined;
    },
    async create(p) {
      if (!(await insert(p))) throw new AppError('PRODUCT_EXISTS', 'A product with this id already exists');
      return toRecord(toItem(p));
    },
    async update(tenantId, id, patch, now) {
      const u = updateExpression({
        name: patch.name,
        description: patch.description,
        active: patch.active,
        updatedAt: iso(now),
      });
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: keys.products(tenantId), sk: id },
            UpdateExpression: u.expression,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: u.names,
            ExpressionAttributeValues: u.values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return res.Attributes ? toRecord(res.Attributes) : undefined;
      } catch (err) {
        if (isConditionalCheckFailed(err)) return undefined;
        throw err;
      }
    },
  };
}
