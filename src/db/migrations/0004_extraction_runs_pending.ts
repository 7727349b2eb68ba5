import { sql, type Kysely } from 'kysely';

// The maintenance sweep looks for unfinished runs whose job was lost or whose worker died, across
// tenants. Only queued and running rows are in this index, so the lookup stays small however many
// finished runs there are.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index extraction_runs_pending_idx on extraction_runs (created_at, id) where status in ('queued', 'running')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists extraction_runs_pending_idx`.execute(db);
}
