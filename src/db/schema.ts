import type { ColumnType } from 'kysely';

/** Row types of the SQL store, as Kysely sees them. Timestamps are Date objects both ways. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface UsersTable {
  id: string;
  tenant_id: string;
  email: string;
  display_name: string;
  roles: string[];
  password_hash: string | null;
  active: boolean;
  failed_login_count: number;
  locked_until: Timestamp | null;
  password_changed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: number;
}

export interface RefreshTokensTable {
  id: string;
  family_id: string;
  tenant_id: string;
  user_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
}

export interface AuditEventsTable {
  id: string;
  tenant_id: string;
  occurred_at: Timestamp;
  actor_id: string | null;
  action: string;
  outcome: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Json<Record<string, unknown>>;
}

export interface ProductsTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string;
  active: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  principal_id: string;
  key: string;
  fingerprint: string;
  state: string;
  response_status: number | null;
  response_headers: Json<Record<string, string>> | null;
  response_body: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface LoanBookingsTable {
  id: string;
  tenant_id: string;
  customer_name: string;
  customer_name_key: string;
  product_id: string;
  external_reference: string | null;
  notes: string | null;
  status: string;
  version: number;
  created_by: string;
  created_at: Timestamp;
  updated_by: string;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
  deleted_by: string | null;
  sync_state: string;
  sync_job_id: string | null;
  sync_error: string | null;
  sync_updated_at: Timestamp | null;
}

export interface DocumentsTable {
  id: string;
  tenant_id: string;
  booking_id: string;
  file_name: string;
  content_type: string;
  kind: string;
  size_bytes: ColumnType<string, number | string, number | string>;
  sha256: string;
  blob_key: string;
  status: string;
  error_code: string | null;
  error_message: string | null;
  page_count: number | null;
  ocr_pages: number | null;
  document_type: string | null;
  document_type_confidence: number | null;
  uploaded_by: string;
  uploaded_at: Timestamp;
  processed_at: Timestamp | null;
  attempts: number;
  lease_token: string | null;
  lease_expires_at: Timestamp | null;
  deleted_at: Timestamp | null;
}

export interface DocumentPagesTable {
  tenant_id: string;
  document_id: string;
  page: number;
  text: string;
  method: string;
}

export interface DocumentPassagesTable {
  tenant_id: string;
  booking_id: string;
  document_id: string;
  page: number;
  ordinal: number;
  start_offset: number;
  end_offset: number;
  text: string;
  tsv: ColumnType<string, never, never>;
}

export interface DB {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  audit_events: AuditEventsTable;
  products: ProductsTable;
  idempotency_keys: IdempotencyKeysTable;
  loan_bookings: LoanBookingsTable;
  documents: DocumentsTable;
  document_pages: DocumentPagesTable;
  document_passages: DocumentPassagesTable;
}
