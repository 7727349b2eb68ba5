import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDiskBlobStore } from '../../../src/lib/blob-store/disk-blob-store.js';
import { blobStoreContract } from './blob-store.contract.js';

blobStoreContract('disk', async () => {
  const root = await mkdtemp(join(tmpdir(), 'disk-blobs-'));
  const store = createDiskBlobStore({ root });
  return {
    store,
    capabilities: { presign: false, byteOrderAcrossFolders: true },
    multiPartBytes: 5 * 1024 * 1024,
    async cleanup() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});
