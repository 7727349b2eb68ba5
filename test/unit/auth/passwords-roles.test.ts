import { describe, expect, it } from 'vitest';
import type { AppError } from '../../../src/lib/errors.js';
import { assertPasswordPolicy, dummyPasswordHash, hashPassword, PASSWORD_MAX_LENGTH, verifyPassword } from '../../../src/modules/auth/passwords.js';
import { ROUTE_BUCKETS, ROUTE_RULES, routeKey } from '../../../src/modules/auth/permissions.js';
import { isRole, PERMISSIONS, permissionsOf, ROLE_PERMISSIONS, ROLES } from '../../../src/modules/auth/roles.js';

describe('passwords', () => {
  it('hash with argon2id and verify; a wrong password or a corrupt hash is just false', async () => {
    const hash = await hashPassword('Correct-Horse-9!');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'Correct-Horse-9!')).toBe(true);
    expect(await verifyPassword(hash, 'correct-horse-9!')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
    expect(await hashPassword('Correct-Horse-9!')).not.toBe(hash);
  });

  it('keep one dummy hash for unknown users, so timing does not reveal them', async () => {
    const a = await dummyPasswordHash();
    expect(await dummyPasswordHash()).toBe(a);
    expect(await verifyPassword(a, 'anything')).toBe(false);
  });

  it('apply the policy: length, common passwords, the email name', () => {
    const problems = (pw: string, email?: string) => {
      try {
        assertPasswordPolicy(pw, email);
        return [];
      } catch (err) {
        expect((err as AppError).code).toBe('WEAK_PASSWORD');
        return (err as AppError).fieldErrors!.password!;
      }
    };
    expect(problems('Str0ng-enough-pass')).toEqual([]);
    expect(problems('short')).toEqual(['must be at least 12 characters']);
    expect(problems('x'.repeat(PASSWORD_MAX_LENGTH + 1))).toEqual([`must be at most ${PASSWORD_MAX_LENGTH} characters`, 'is a commonly used password']);
    expect(problems('aaaaaaaaaaaaaaaa')).toEqual(['is a commonly used password']);
    expect(problems('jane.doe-is-great', 'Jane.Doe@bank.example')).toEqual(['must not contain the email name']);
    // Very short email names are not a signal.
    expect(problems('bob-likes-long-passwords', 'bob@bank.example')).toEqual([]);
  });
});

describe('roles and rules', () => {
  it('gives each role its permissions, admins all of them', () => {
    expect([...permissionsOf(['admin'])].sort()).toEqual([...PERMISSIONS].sort());
    expect(permissionsOf(['viewer']).has('bookings:write')).toBe(false);
    expect(permissionsOf(['viewer', 'approver']).has('sheets:approve')).toBe(true);
    expect(permissionsOf([]).size).toBe(0);
    for (const role of ROLES) for (const p of ROLE_PERMISSIONS[role]) expect(PERMISSIONS).toContain(p);
    expect(isRole('analyst')).toBe(true);
    expect(isRole('root')).toBe(false);
  });

  it('names only known permissions (or public/authenticated) in the rule table', () => {
    for (const [key, rule] of Object.entries(ROUTE_RULES)) {
      expect(key).toMatch(/^(GET|POST|PUT|PATCH|DELETE) \/api\/v1\//);
      expect(['public', 'authenticated', ...PERMISSIONS]).toContain(rule);
    }
    for (const key of Object.keys(ROUTE_BUCKETS)) expect(ROUTE_RULES[key], key).toBeDefined();
    expect(routeKey('GET', '/x')).toBe('GET /x');
    // Only sign-in and revocation are open to anonymous callers.
    expect(Object.entries(ROUTE_RULES).filter(([, r]) => r === 'public').map(([k]) => k).sort()).toEqual(['POST /api/v1/auth/revoke', 'POST /api/v1/auth/token']);
  });
});
