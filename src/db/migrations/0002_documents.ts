import { sql, type Kysely } from 'kysely';

// Documents, their page texts and the passage index (PostgreSQL full-text search; PGlite has it too).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table documents (
      id uuid primary key,
      tenant_id text not null,
      booking_id uuid not null references loan_bookings(id),
      file_name text not null,
      content_type text not null,
      kind text not null,
      size_bytes bigint not null,
      sha256 text not null,
      blob_key text not null,
      status text not null,
      error_code text,
      error_message text,
      page_count integer,
      ocr_pages integer,
      document_type text,
      document_type_confidence double precision,
      uploaded_by text not null,
      uploaded_at timestamptz not null,
      processed_at timestamptz,
      attempts integer not null default 0,
      lease_token text,
      lease_expires_at timestamptz,
      deleted_at timestamptz
    )`.execute(db);
  // The same bytes once per booking: a second upload returns the first document.
  await sql`create unique index documents_booking_sha_uq on documents (tenant_id, booking_id, sha256) where deleted_at is null`.execute(db);
  await sql`create index documents_tenant_idx on documents (tenant_id, id desc)`.execute(db);
  await sql`create index documents_booking_idx on documents (tenant_id, booking_id, id desc)`.execute(db);
  await sql`create index documents_status_idx on documents (tenant_id, status, id desc)`.execute(db);
  await sql`create index documents_stuck_idx on documents (status, uploaded_at) where deleted_at is null`.execute(db);

  await sql`
    create table document_pages (
      tenant_id text not null,
      document_id uuid not null references documents(id) on delete cascade,
      page integer not null,
      text text not null,
      method text not null,
      primary key (document_id, page)
    )`.execute(db);

  await sql`
    create table document_passages (
      tenant_id text not null,
      booking_id uuid not null,
      document_id uuid not null references documents(id) on delete cascade,
      page integer not null,
      ordinal integer not null,
      start_offset integer not null,
      end_offset integer not null,
      text text not null,
      tsv tsvector generated always as (to_tsvector('english', text)) stored,
      primary key (document_id, page, ordinal)
    )`.execute(db);
  await sql`create index document_passages_booking_idx on document_passages (tenant_id, booking_id)`.execute(db);
  await sql`create index document_passages_tsv_idx on document_passages using gin (tsv)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['document_passages', 'document_pages', 'documents']) await sql`drop table if exists ${sql.table(t)}`.execute(db);
}
