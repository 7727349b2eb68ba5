import { createS3BlobStore } from '../../../src/lib/blob-store/s3-blob-store.js';
import { S3RVER_CREDENTIALS, S3RVER_REGION, startS3rver } from '../../helpers/s3rver.js';
import { blobStoreContract } from './blob-store.contract.js';

const PART = 5 * 1024 * 1024;

blobStoreContract('s3 (s3rver)', async () => {
  const s3rver = await startS3rver();
  const store = createS3BlobStore({
    bucket: s3rver.bucket,
    region: S3RVER_REGION,
    endpoint: s3rver.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    partSizeBytes: PART,
    queueSize: 2,
    maxAttempts: 2,
    requestTimeoutMs: 15_000,
  });
  return {
    store,
    // s3rver lists folder by folder, so 'p/a/b' comes before 'p/a-c'; real S3 orders whole keys.
    capabilities: { presign: true, byteOrderAcrossFolders: false },
    multiPartBytes: PART,
    async cleanup() {
      await store.close();
      await s3rver.stop();
    },
  };
});
