import { describe, expect, it } from 'vitest';
import { runRules } from '../../../src/modules/extraction/engines/rules/index.js';

// Flattened filings can carry one enormous line (a table or a whole page without breaks). Each of
// these once made a pattern rescan the line from every position; they must finish and find nothing.
describe('rules engine: pathological flattened text', () => {
  const cases: Record<string, string> = {
    'one long line of names': 'BANK OF AMERICA, N.A., '.repeat(8000),
    'one long line of amounts': '$1,000,000 '.repeat(8000),
    'a definition that never ends': `"A" means ${'AAAA, '.repeat(8000)}`,
    'repeated "as"': ' as '.repeat(8000),
    'unclosed quotes and parentheses': '(“'.repeat(8000),
    'contents heading over a long line': `TABLE OF CONTENTS\n${'Section 1.1 Defined Terms '.repeat(4000)}\n1`,
    'recitals of guarantees without a party': `CREDIT AGREEMENT dated as of May 1, 2020 among ACME INC. and BANK ONE, as Agent.\n${'WHEREAS, Holdings Holdings is willing '.repeat(4000)}`,
    'a division of a division': `THIS CREDIT AGREEMENT among ${'ALPHA CAPITAL, a division of '.repeat(3000)}BETA INC., as Agent.`,
    'rows of rates without a heading': `"Applicable Margin" means:\n${'   1.25%   2.25%   0.50 '.repeat(5000)}\n${'Level I  1.00%  2.00%\n'.repeat(3000)}`,
    'a type definition that never names its last option': `"Type" refers to whether the rate is determined by reference to ${'the LIBO Rate, '.repeat(5000)}`,
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`handles ${name}`, () => {
      const out = runRules({ schemaName: 'credit_agreement', pages: [{ documentId: 'x', page: 1, text }] });
      expect(out.fields.borrower_names?.value ?? null).toBeNull();
      expect(out.fields.interest_rate_details?.value ?? null).toBeNull();
    });
  }
});
