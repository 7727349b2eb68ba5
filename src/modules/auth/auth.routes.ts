import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { Type, type Static } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../lib/errors.js';
import { errorResponses, publicErrorResponses, ActorId, Count, IdParam, PageQuery, pageOf, Timestamp } from '../../lib/http-schemas.js';
import { requestMeta } from '../../lib/request-meta.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { ROLES } from './roles.js';
import { PASSWORD_MAX_LENGTH } from './passwords.js';
import { toUserView } from './auth.service.js';

const RoleSchema = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { description: 'viewer: read; analyst: create bookings, upload, extract, edit sheets; approver: approve sheets; admin: everything.' },
);
const Email = Type.String({ minLength: 3, maxLength: 254, format: 'email', description: 'Email address (case-insensitive).' });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Password (at least 12 characters when set).' });
const DisplayName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Name shown in the console and audit.' });

export const UserSchema = Type.Object(
  {
    id: IdParam('User id.'),
    tenant_id: Type.String({ maxLength: 100, description: 'Organisation the user belongs to.' }),
    email: Type.String({ maxLength: 254, format: 'email', description: 'Email address (login name).' }),
    display_name: Type.String({ maxLength: 200, description: 'Display name.' }),
    roles: Type.Array(RoleSchema, { maxItems: 4, description: 'Roles granted.' }),
    active: Type.Boolean({ description: 'Disabled users cannot sign in.' }),
    locked_until: Type.Union([Timestamp('Locked after repeated failed sign-ins until this time.'), Type.Null()]),
    created_at: Timestamp('Creation time.'),
    updated_at: Timestamp('Last change.'),
  },
  { $id: 'User', description: 'A user of the service.' },
);

const TokenRequest = Type.Object(
  {
    grant_type: Type.Union([Type.Literal('password'), Type.Literal('refresh_token')], { description: 'OAuth2 grant type.' }),
    username: Type.Optional(Type.String({ maxLength: 254, description: 'Email (password grant).' })),
    password: Type.Optional(Type.String({ maxLength: PASSWORD_MAX_LENGTH, description: 'Password (password grant).' })),
    refresh_token: Type.Optional(Type.String({ maxLength: 512, description: 'Refresh token (refresh_token grant).' })),
    scope: Type.Optional(Type.String({ maxLength: 200, description: 'Ignored; roles decide access.' })),
    client_id: Type.Optional(Type.String({ maxLength: 200, description: 'Ignored (public client).' })),
  },
  { additionalProperties: false },
);

const TokenResponse = Type.Object(
  {
    access_token: Type.String({ maxLength: 8192, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$', description: 'JWT access token.' }),
    token_type: Type.Literal('bearer'),
    expires_in: Count('Seconds until the access token expires.', 24 * 3600),
    refresh_token: Type.String({ maxLength: 512, description: 'Opaque refresh token; single use, rotates on every refresh.' }),
    refresh_expires_in: Count('Seconds until the refresh token expires.', 90 * 86_400),
  },
  { description: 'Issued tokens.' },
);

const AuditEventSchema = Type.Object(
  {
    id: IdParam('Event id.'),
    occurred_at: Timestamp('When it happened.'),
    actor_id: Type.Union([ActorId('User who acted.'), Type.Null()], { description: 'User who acted (null when unknown, e.g. a failed sign-in for an unknown email).' }),
    action: Type.String({ maxLength: 100, description: 'What happened, e.g. auth.login, user.update, access.denied.' }),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')]),
    target_type: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    target_id: Type.Union([Type.String({ maxLength: 300 }), Type.Null()]),
    ip: Type.Union([Type.String({ maxLength: 45 }), Type.Null()], { description: 'Client address.' }),
    request_id: Type.Union([Type.String({ maxLength: 128 }), Type.Null()]),
    details: Type.Record(Type.String(), Type.Unknown()),
  },
  { description: 'A security audit event.' },
);

export async function authRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, audit } = app.services;
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const UserRef = Type.Ref('User');

  r.post(
    '/api/v1/auth/token',
    {
      schema: {
        summary: 'Get tokens (OAuth2 password or refresh_token grant)',
        description:
          'Form-encoded (application/x-www-form-urlencoded) as RFC 6749 says. The password grant takes username (email) and password; the refresh_token grant rotates the refresh token: each one works once, and reusing a spent one revokes the whole session. Repeated failures lock the account for a while.',
        tags: ['auth'],
        security: [],
        body: TokenRequest,
        response: { 200: TokenResponse, ...publicErrorResponses(401, 403, 415, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const meta = requestMeta(request);
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      if (body.grant_type === 'password') {
        if (!body.username || !body.password) {
          throw new AppError('VALIDATION_FAILED', 'username and password are required', {
            fieldErrors: { ...(body.username ? {} : { username: ['is required'] }), ...(body.password ? {} : { password: ['is required'] }) },
          });
        }
        return auth.login(body.username, body.password, meta);
      }
      if (!body.refresh_token) throw new AppError('VALIDATION_FAILED', 'refresh_token is required', { fieldErrors: { refresh_token: ['is required'] } });
      return auth.refresh(body.refresh_token, meta);
    },
  );

  r.post(
    '/api/v1/auth/revoke',
    {
      schema: {
        summary: 'Revoke a refresh token (sign out)',
        description: 'Revokes the refresh token and every token rotated from it (RFC 7009). Unknown tokens are accepted silently.',
        tags: ['auth'],
        security: [],
        body: Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 512, description: 'The refresh token to revoke.' }) }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'Revoked (or unknown).' }), ...publicErrorResponses(415, 422) },
      },
    },
    async (request, reply) => {
      await auth.revoke(request.body.refresh_token, requestMeta(request));
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/v1/auth/me',
    {
      schema: {
        summary: 'The caller',
        description: 'Who the bearer token belongs to: user, tenant and roles.',
        tags: ['auth'],
        response: { 200: UserRef, ...errorResponses(404) },
      },
    },
    async (request) => auth.me(request.principal!),
  );

  r.post(
    '/api/v1/auth/password',
    {
      schema: {
        summary: 'Change own password',
        description: 'Needs the current password. Signs out every other session (refresh tokens revoked).',
        tags: ['auth'],
        body: Type.Object({ current_password: Password, new_password: Password }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'Changed.' }), ...errorResponses(404, 422) },
      },
    },
    async (request, reply) => {
      await auth.changeOwnPassword(request.principal!, request.body.current_password, request.body.new_password, requestMeta(request));
      return reply.code(204).send(null);
    },
  );

  const UserIdParams = Type.Object({ id: IdParam('User id.') });

  r.get(
    '/api/v1/users',
    {
      schema: {
        summary: 'List users',
        description: 'Users of the caller\'s organisation, in creation order, cursor-paginated. Admin only.',
        tags: ['auth'],
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: pageOf(UserRef, 'A page of users.'), ...errorResponses() },
      },
    },
    async (request) => {
      const { limit = 20, cursor } = request.query;
      const tenantId = request.principal!.tenantId;
      const position = decodeCursor<{ id: string }>(cursor, {});
      const rows = await auth.listUsers(tenantId, { limit: limit + 1, afterId: position?.id });
      return toPage(rows, limit, toUserView, (u) => ({ id: u.id }), {});
    },
  );

  r.post(
    '/api/v1/users',
    {
      schema: {
        summary: 'Create a user',
        description: 'Creates a user in the caller\'s organisation with an initial password that meets the policy. Admin only; audited.',
        tags: ['auth'],
        body: Type.Object(
          { email: Email, display_name: DisplayName, roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 4, uniqueItems: true }), password: Password },
          { additionalProperties: false },
        ),
        response: { 201: UserRef, ...errorResponses(409, 415, 422) },
      },
    },
    async (request, reply) => {
      const user = await auth.createUser(request.body, requestMeta(request));
      return reply.code(201).header('location', `/api/v1/users/${user.id}`).send(user);
    },
  );

  r.get(
    '/api/v1/users/:id',
    {
      schema: {
        summary: 'Get a user',
        description: 'One user of the caller\'s organisation. Admin only.',
        tags: ['auth'],
        params: UserIdParams,
        response: { 200: UserRef, ...errorResponses(404) },
      },
    },
    async (request) => auth.getUser(request.principal!.tenantId, request.params.id),
  );

  r.patch(
    '/api/v1/users/:id',
    {
      schema: {
        summary: 'Update a user',
        description: 'Change display name, roles, or disable/enable. Disabling revokes the user\'s sessions. Admin only; audited.',
        tags: ['auth'],
        params: UserIdParams,
        body: Type.Object(
          {
            display_name: Type.Optional(DisplayName),
            roles: Type.Optional(Type.Array(RoleSchema, { minItems: 1, maxItems: 4, uniqueItems: true })),
            active: Type.Optional(Type.Boolean({ description: 'false disables the account.' })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: UserRef, ...errorResponses(404, 409, 415, 422) },
      },
    },
    async (request) => auth.updateUser(request.params.id, request.body, requestMeta(request)),
  );

  r.post(
    '/api/v1/users/:id/password-reset',
    {
      schema: {
        summary: 'Reset a user\'s password',
        description: 'Sets a new password (policy applies) and revokes the user\'s sessions. Admin only; audited.',
        tags: ['auth'],
        params: UserIdParams,
        body: Type.Object({ new_password: Password }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'Reset.' }), ...errorResponses(404, 415, 422) },
      },
    },
    async (request, reply) => {
      await auth.resetPassword(request.params.id, request.body.new_password, requestMeta(request));
      return reply.code(204).send(null);
    },
  );

  const AuditQuery = Type.Object(
    {
      ...PageQuery,
      action: Type.Optional(Type.String({ maxLength: 100, pattern: '^[a-z_.]+$', description: 'Only this action.' })),
      actor_id: Type.Optional(Type.String({ maxLength: 100, description: 'Only events by this user.' })),
      outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')])),
      from: Type.Optional(Timestamp('Occurred at or after.')),
      to: Type.Optional(Timestamp('Occurred before.')),
    },
    { additionalProperties: false },
  );

  r.get(
    '/api/v1/audit-events',
    {
      schema: {
        summary: 'Security audit log',
        description: 'Sign-ins, token refresh and revocation, permission denials, user and role changes, admin overrides: newest first, cursor-paginated. Admin only.',
        tags: ['auth'],
        querystring: AuditQuery,
        response: { 200: pageOf(AuditEventSchema, 'A page of audit events.'), ...errorResponses() },
      },
    },
    async (request) => {
      const q: Static<typeof AuditQuery> = request.query;
      const limit = q.limit ?? 20;
      const filters = { action: q.action, actor_id: q.actor_id, outcome: q.outcome, from: q.from, to: q.to };
      const position = decodeCursor<{ id: string }>(q.cursor, filters);
      const rows = await audit.list(
        request.principal!.tenantId,
        {
          action: q.action,
          actorId: q.actor_id,
          outcome: q.outcome,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
        },
        { limit: limit + 1, beforeId: position?.id },
      );
      return toPage(
        rows,
        limit,
        (e) => ({
          id: e.id,
          occurred_at: e.occurredAt.toISOString(),
          actor_id: e.actorId,
          action: e.action,
          outcome: e.outcome,
          target_type: e.targetType,
          target_id: e.targetId,
          ip: e.ip,
          request_id: e.requestId,
          details: e.details,
        }),
        (e) => ({ id: e.id }),
        filters,
      );
    },
  );
}
