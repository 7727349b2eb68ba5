import { sql, type Kysely } from 'kysely';

// Extraction runs, booking sheets and their version history. Every row carries tenant_id and every
// index leads with it. Runs and versions are append-only records; the sheet row is the current
// version, updated by compare-and-set on `version`.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table extraction_runs (
      id uuid primary key,
      tenant_id text not null,
      booking_id uuid not null references loan_bookings(id),
      schema_name text not null,
      schema_version text not null,
      engine text not null,
      engine_used text,
      document_ids jsonb,
      status text not null,
      attempts integer not null default 0,
      lease_token text,
      lease_expires_at timestamptz,
      fields jsonb,
      warnings jsonb not null default '[]'::jsonb,
      usage jsonb,
      timings jsonb,
      document_count integer,
      page_count integer,
      error_code text,
      error_message text,
      created_by text not null,
      created_at timestamptz not null,
      started_at timestamptz,
      finished_at timestamptz
    )`.execute(db);
  await sql`create index extraction_runs_booking_idx on extraction_runs (tenant_id, booking_id, id desc)`.execute(db);
  await sql`create index extraction_runs_succeeded_idx on extraction_runs (tenant_id, booking_id, schema_name, id desc) where status = 'succeeded'`.execute(db);

  await sql`
    create table booking_sheets (
      tenant_id text not null,
      booking_id uuid not null references loan_bookings(id),
      id uuid not null,
      schema_name text not null,
      schema_version text not null,
      source_run_id uuid,
      status text not null,
      version integer not null,
      fields jsonb not null,
      validation jsonb not null,
      created_by text not null,
      created_at timestamptz not null,
      updated_by text not null,
      updated_at timestamptz not null,
      last_edited_by text not null,
      last_edited_at timestamptz not null,
      status_changed_at timestamptz not null,
      submitted_by text,
      submitted_at timestamptz,
      decided_by text,
      decided_at timestamptz,
      decision_reason text,
      primary key (tenant_id, booking_id)
    )`.execute(db);
  // The review queue: sheets of one status, oldest status change first.
  await sql`create index booking_sheets_status_idx on booking_sheets (tenant_id, status, status_changed_at, booking_id)`.execute(db);

  await sql`
    create table booking_sheet_versions (
      tenant_id text not null,
      booking_id uuid not null,
      version integer not null,
      sheet_id uuid not null,
      action text not null,
      status text not null,
      changes jsonb not null,
      reason text,
      source_run_id uuid,
      validation jsonb not null,
      actor text not null,
      at timestamptz not null,
      primary key (tenant_id, booking_id, version)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['booking_sheet_versions', 'booking_sheets', 'extraction_runs']) await sql`drop table if exists ${sql.table(t)}`.execute(db);
}
