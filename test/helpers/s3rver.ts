import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An in-process s3rver on a free loopback port, with its own temp directory and one bucket.
 * s3rver ships no types; this is the part of its API we use.
 */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  /** The listening server (set by run()). */
  httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
  vhostBuckets: boolean;
}) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverConstructor;

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const S3RVER_REGION = 'us-east-1';

export interface RunningS3rver {
  endpoint: string;
  bucket: string;
  directory: string;
  /** Stops for good and removes the directory. */
  stop(): Promise<void>;
  /**
   * An outage: stops listening and resets every open connection at once (requests in flight fail,
   * the port refuses connections), keeping the directory and its objects.
   */
  kill(): Promise<void>;
  /** Back after `kill()`: a new server on the same port, serving the same directory. */
  start(): Promise<void>;
  readonly running: boolean;
}

function newServer(port: number, directory: string, bucket: string): S3rverInstance {
  return new S3rver({
    address: '127.0.0.1',
    port,
    silent: process.env.S3RVER_LOGS !== '1',
    directory,
    configureBuckets: [{ name: bucket }],
    vhostBuckets: false,
  });
}

export async function startS3rver(bucket = 'test-blobs'): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  let server: S3rverInstance | undefined = newServer(0, directory, bucket);
  const { port } = await server.run();
  let stopped = false;

  async function halt(): Promise<void> {
    const s = server;
    if (!s) return;
    server = undefined;
    const closed = s.close();
    // close() alone waits for keep-alive and in-flight connections; an outage does not.
    s.httpServer?.closeAllConnections();
    await closed;
  }

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    get running() {
      return server !== undefined;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt();
      await rm(directory, { recursive: true, force: true });
    },
    kill: halt,
    async start() {
      if (stopped) throw new Error('s3rver was stopped for good');
      if (server) return;
      const next = newServer(port, directory, bucket);
      await next.run();
      server = next;
    },
  };
}
