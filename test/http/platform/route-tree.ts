import type { FastifyInstance } from 'fastify';

/**
 * "METHOD /path/:template" of every route an app serves, read from Fastify's own route tree
 * (printRoutes), so that routes hidden from the OpenAPI document are found too. HEAD and OPTIONS,
 * which Fastify and CORS add on their own, are left out.
 */
export function servedRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(\S+) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const prefix = stack.join('');
    // A bare "/" child of a prefix is the prefix with a trailing slash: the same route for us.
    const segment = m[2] === '/' && prefix ? '' : m[2]!;
    stack.push(segment);
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD' && method !== 'OPTIONS') out.push(`${method} ${prefix}${segment}`);
  }
  return out;
}
