/** Roles and what each may do. Route rules (permissions.ts) name permissions, never roles. */
export const ROLES = ['viewer', 'analyst', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'bookings:read',
  'bookings:write',
  'bookings:delete',
  'bookings:read-deleted',
  'documents:read',
  'documents:write',
  'documents:delete',
  'extraction:read',
  'extraction:run',
  'sheets:read',
  'sheets:edit',
  'sheets:approve',
  'products:read',
  'products:manage',
  'users:manage',
  'audit:read',
  'sync:override',
  'jobs:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = ['bookings:read', 'documents:read', 'extraction:read', 'sheets:read', 'products:read'];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  viewer: READ,
  analyst: [...READ, 'bookings:write', 'bookings:delete', 'documents:write', 'documents:delete', 'extraction:run', 'sheets:edit'],
  approver: [...READ, 'sheets:approve'],
  admin: PERMISSIONS,
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function permissionsOf(roles: readonly Role[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const r of roles) for (const p of ROLE_PERMISSIONS[r]) out.add(p);
  return out;
}

export interface Principal {
  userId: string;
  tenantId: string;
  roles: Role[];
  permissions: Set<Permission>;
  source: 'local' | 'oidc';
}
