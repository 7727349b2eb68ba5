import { sql, type Kysely } from 'kysely';

// Identity, audit, products, idempotency and loan bookings. Every business row carries tenant_id
// and every index leads with it: queries are always tenant-scoped.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users (
      id uuid primary key,
      tenant_id text not null,
      email text not null,
      display_name text not null,
      roles text[] not null,
      password_hash text,
      active boolean not null default true,
      failed_login_count integer not null default 0,
      locked_until timestamptz,
      password_changed_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      version integer not null default 1
    )`.execute(db);
  await sql`create unique index users_email_uq on users (email)`.execute(db);
  await sql`create index users_tenant_idx on users (tenant_id, id)`.execute(db);

  await sql`
    create table refresh_tokens (
      id uuid primary key,
      family_id uuid not null,
      tenant_id text not null,
      user_id uuid not null references users(id) on delete cascade,
      token_hash text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text
    )`.execute(db);
  await sql`create unique index refresh_tokens_hash_uq on refresh_tokens (token_hash)`.execute(db);
  await sql`create index refresh_tokens_family_idx on refresh_tokens (family_id)`.execute(db);
  await sql`create index refresh_tokens_user_idx on refresh_tokens (user_id)`.execute(db);

  await sql`
    create table audit_events (
      id uuid primary key,
      tenant_id text not null,
      occurred_at timestamptz not null,
      actor_id text,
      action text not null,
      outcome text not null,
      target_type text,
      target_id text,
      ip text,
      request_id text,
      details jsonb not null default '{}'::jsonb
    )`.execute(db);
  await sql`create index audit_events_tenant_idx on audit_events (tenant_id, id desc)`.execute(db);

  await sql`
    create table products (
      tenant_id text not null,
      id text not null,
      name text not null,
      description text not null,
      active boolean not null default true,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);

  await sql`
    create table idempotency_keys (
      tenant_id text not null,
      principal_id text not null,
      key text not null,
      fingerprint text not null,
      state text not null,
      response_status integer,
      response_headers jsonb,
      response_body text,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      primary key (tenant_id, principal_id, key)
    )`.execute(db);
  await sql`create index idempotency_keys_expiry_idx on idempotency_keys (expires_at)`.execute(db);

  await sql`
    create table loan_bookings (
      id uuid primary key,
      tenant_id text not null,
      customer_name text not null,
      customer_name_key text not null,
      product_id text not null,
      external_reference text,
      notes text,
      status text not null,
      version integer not null,
      created_by text not null,
      created_at timestamptz not null,
      updated_by text not null,
      updated_at timestamptz not null,
      deleted_at timestamptz,
      deleted_by text,
      sync_state text not null,
      sync_job_id text,
      sync_error text,
      sync_updated_at timestamptz
    )`.execute(db);
  await sql`create index loan_bookings_tenant_idx on loan_bookings (tenant_id, id desc)`.execute(db);
  await sql`create index loan_bookings_product_idx on loan_bookings (tenant_id, product_id, id desc)`.execute(db);
  await sql`create index loan_bookings_product_status_idx on loan_bookings (tenant_id, product_id, status) where deleted_at is null`.execute(db);
  await sql`create index loan_bookings_status_idx on loan_bookings (tenant_id, status, id desc)`.execute(db);
  await sql`create index loan_bookings_customer_idx on loan_bookings (tenant_id, customer_name_key text_pattern_ops, id desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['loan_bookings', 'idempotency_keys', 'products', 'audit_events', 'refresh_tokens', 'users']) {
    await sql`drop table if exists ${sql.table(t)}`.execute(db);
  }
}
