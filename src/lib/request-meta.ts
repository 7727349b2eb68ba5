import type { FastifyRequest } from 'fastify';
import type { Principal } from '../modules/auth/roles.js';

/** What services need to know about the caller and the request, without depending on Fastify. */
export interface RequestMeta {
  principal: Principal | undefined;
  ip: string;
  requestId: string;
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  return { principal: request.principal, ip: request.ip, requestId: request.id };
}
