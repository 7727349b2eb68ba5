/**
 * Child process for the disk store's crash test: starts an upload whose body stalls after a few MiB,
 * says so on stdout, and waits to be killed mid-write.
 */
import { Readable } from 'node:stream';
import { createDiskBlobStore } from '../../../src/lib/blob-store/disk-blob-store.js';

const [root, key] = process.argv.slice(2);
if (!root || !key) throw new Error('usage: crash-writer <root> <key>');

const total = 3 * 1024 * 1024;
let sent = 0;
const body = new Readable({
  read() {
    if (sent < total) {
      sent += 64 * 1024;
      this.push(Buffer.alloc(64 * 1024, 0x5a));
    } else {
      process.stdout.write('stalled\n');
    }
  },
});

createDiskBlobStore({ root })
  .put(key, body)
  .then(
    () => process.stdout.write('completed\n'),
    (err: unknown) => process.stdout.write(`failed ${String(err)}\n`),
  );
