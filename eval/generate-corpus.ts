/**
 * Writes the labelled evaluation corpus: eval/corpus/<name>.txt (pages separated by form feeds)
 * and eval/corpus/<name>.labels.json. Run with `npx tsx eval/generate-corpus.ts`. The documents
 * are written for this project in the style of credit agreements filed with the SEC; names of
 * banks are real institutions that commonly act in these roles, borrowers are fictitious.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgreementSpec, Labels } from './lib/agreement.js';
import { buildAgreement } from './lib/agreement.js';
import { buildAmendment, buildNote, buildSparseAgreement, buildTermSheet } from './lib/other-docs.js';

const BD_BOA =
  'means any day other than a Saturday, Sunday or other day on which commercial banks are authorized to close under the Laws of, or are in fact closed in, the state where the Administrative Agent’s Office is located; provided that, when used in connection with a Term SOFR Loan, the term “Business Day” shall also exclude any day that is not a U.S. Government Securities Business Day.';
const BD_JPM =
  'means any day that is not a Saturday, Sunday or other day on which commercial banks in New York City are authorized or required by law to remain closed; provided that, in relation to Loans bearing interest at a rate based on Term SOFR, any such day that is also a U.S. Government Securities Business Day.';
const BD_SIMPLE =
  'means any day other than a Saturday, a Sunday or a day on which banks located in Chicago, Illinois or New York, New York are authorized or required by law to close.';

const acme: AgreementSpec = {
  seed: 11,
  style: 'boa',
  title: 'CREDIT AGREEMENT',
  executionDate: '2024-03-15',
  borrowers: [{ name: 'ACME INDUSTRIAL HOLDINGS CORP.', description: 'a Delaware corporation' }],
  borrowerTerm: 'Borrower',
  namedGuarantors: [],
  agent: {
    name: 'BANK OF AMERICA, N.A.',
    roles: ['Administrative Agent', 'Swing Line Lender', 'L/C Issuer'],
  },
  cover: [
    {
      names: ['BOFA SECURITIES, INC.', 'WELLS FARGO SECURITIES, LLC'],
      roles: 'Joint Lead Arrangers and Joint Bookrunners',
    },
    { names: ['WELLS FARGO BANK, NATIONAL ASSOCIATION'], roles: 'Syndication Agent' },
  ],
  lenders: [
    { name: 'BANK OF AMERICA, N.A.', commitment: 150_000_000 },
    { name: 'WELLS FARGO BANK, NATIONAL ASSOCIATION', commitment: 125_000_000, roles: ['L/C Issuer'] },
    { name: 'PNC BANK, NATIONAL ASSOCIATION', commitment: 75_000_000 },
    { name: 'TRUIST BANK', commitment: 60_000_000 },
    { name: 'THE BANK OF NOVA SCOTIA', commitment: 50_000_000 },
    { name: 'FIFTH THIRD BANK, NATIONAL ASSOCIATION', commitment: 40_000_000 },
  ],
  facilities: [{ kind: 'revolving', amount: 500_000_000 }],
  maturity: { kind: 'date', date: '2029-03-15' },
  closingDate: 'hereof',
  lcSublimit: 50_000_000,
  swinglineSublimit: 25_000_000,
  pricing: {
    kind: 'grid',
    basis: 'Consolidated Leverage Ratio',
    rows: [
      { test: '< 1.00:1.00', fee: '0.150%', sofr: '1.125%', base: '0.125%' },
      { test: '≥ 1.00:1.00 but < 2.00:1.00', fee: '0.175%', sofr: '1.250%', base: '0.250%' },
      { test: '≥ 2.00:1.00 but < 3.00:1.00', fee: '0.200%', sofr: '1.500%', base: '0.500%' },
      { test: '≥ 3.00:1.00', fee: '0.250%', sofr: '1.750%', base: '0.750%' },
    ],
  },
  commitmentFee: 'Applicable Rate',
  frontingFee: '0.125%',
  floor: '0%',
  defaultRate: '2%',
  law: 'New York',
  lawCaps: true,
  businessDay: BD_BOA,
  covenants: [
    { name: 'Consolidated Leverage Ratio', direction: 'max', value: '3.50:1.00' },
    { name: 'Consolidated Interest Coverage Ratio', direction: 'min', value: '3.00:1.00' },
  ],
  prepaymentPremium: false,
  secured: false,
  fillerSchedules: 1400,
  quoteStyle: 'curly',
  dayCount360Only: false,
};

const harbor: AgreementSpec = {
  seed: 23,
  style: 'jpm',
  title: 'CREDIT AGREEMENT',
  executionDate: '2023-06-01',
  borrowers: [{ name: 'HARBOR POINT INDUSTRIES, INC.', description: 'a Delaware corporation' }],
  borrowerTerm: 'Borrower',
  namedGuarantors: [],
  agent: { name: 'JPMORGAN CHASE BANK, N.A.', roles: ['Administrative Agent', 'Collateral Agent'] },
  cover: [
    {
      names: ['JPMORGAN CHASE BANK, N.A.', 'GOLDMAN SACHS BANK USA', 'MORGAN STANLEY SENIOR FUNDING, INC.'],
      roles: 'Joint Lead Arrangers and Joint Bookrunners',
    },
    { names: ['GOLDMAN SACHS BANK USA'], roles: 'Syndication Agent' },
    { names: ['MORGAN STANLEY SENIOR FUNDING, INC.'], roles: 'Documentation Agent' },
  ],
  lenders: [
    { name: 'JPMORGAN CHASE BANK, N.A.', commitment: 400_000_000 },
    { name: 'GOLDMAN SACHS BANK USA', commitment: 300_000_000 },
    { name: 'MORGAN STANLEY SENIOR FUNDING, INC.', commitment: 250_000_000 },
    { name: 'CITIBANK, N.A.', commitment: 150_000_000 },
    { name: 'BARCLAYS BANK PLC', commitment: 100_000_000 },
  ],
  facilities: [
    { kind: 'termA', amount: 400_000_000 },
    { kind: 'termB', amount: 800_000_000 },
  ],
  maturity: { kind: 'perFacility', dates: { termA: '2028-06-01', termB: '2030-06-01' } },
  closingDate: '2023-06-01',
  lcSublimit: null,
  swinglineSublimit: null,
  pricing: { kind: 'fixed', sofr: '2.75%', base: '1.75%' },
  commitmentFee: null,
  frontingFee: null,
  floor: '0.5%',
  defaultRate: '2%',
  law: 'New York',
  lawCaps: false,
  businessDay: BD_JPM,
  covenants: [{ name: 'First Lien Net Leverage Ratio', direction: 'max', value: '5.00:1.00' }],
  prepaymentPremium: true,
  secured: true,
  fillerSchedules: 1500,
  quoteStyle: 'straight',
  dayCount360Only: false,
};

const meridian: AgreementSpec = {
  seed: 37,
  style: 'boa',
  title: '364-DAY CREDIT AGREEMENT',
  executionDate: '2024-11-08',
  borrowers: [{ name: 'MERIDIAN UTILITIES COMPANY', description: 'an Ohio corporation' }],
  borrowerTerm: 'Borrower',
  namedGuarantors: [],
  agent: { name: 'MIZUHO BANK, LTD.', roles: ['Administrative Agent'] },
  cover: [{ names: ['MIZUHO BANK, LTD.'], roles: 'Sole Lead Arranger and Sole Bookrunner' }],
  lenders: [
    { name: 'MIZUHO BANK, LTD.', commitment: 100_000_000 },
    { name: 'KEYBANK NATIONAL ASSOCIATION', commitment: 75_000_000 },
    { name: 'U.S. BANK NATIONAL ASSOCIATION', commitment: 75_000_000 },
  ],
  facilities: [{ kind: 'revolving', amount: 250_000_000 }],
  maturity: { kind: 'relative', text: '364 days after the Closing Date', computed: '2025-11-07' },
  closingDate: 'hereof',
  lcSublimit: null,
  swinglineSublimit: null,
  pricing: { kind: 'fixed', sofr: '1.00%', base: '0%' },
  commitmentFee: '0.08%',
  frontingFee: null,
  floor: '0%',
  defaultRate: '2%',
  law: 'New York',
  lawCaps: false,
  businessDay: BD_SIMPLE,
  covenants: [],
  prepaymentPremium: false,
  secured: false,
  fillerSchedules: 120,
  quoteStyle: 'straight',
  dayCount360Only: true,
};

const northwind: AgreementSpec = {
  seed: 41,
  style: 'boa',
  title: 'CREDIT AGREEMENT',
  executionDate: '2022-08-26',
  borrowers: [
    { name: 'NORTHWIND FOODS, INC.', description: 'a Minnesota corporation', alias: 'Northwind' },
    {
      name: 'NORTHWIND FOODS CANADA ULC',
      description: 'a British Columbia unlimited liability company',
      alias: 'Northwind Canada',
    },
  ],
  borrowerTerm: 'Borrowers',
  namedGuarantors: [{ name: 'NORTHWIND HOLDINGS, LLC', description: 'a Delaware limited liability company' }],
  agent: {
    name: 'CITIZENS BANK, N.A.',
    roles: ['Administrative Agent', 'Swing Line Lender', 'L/C Issuer'],
    description: 'a national banking association',
  },
  cover: [{ names: ['CITIZENS BANK, N.A.'], roles: 'Sole Lead Arranger and Sole Bookrunner' }],
  lenders: [
    { name: 'CITIZENS BANK, N.A.', commitment: 90_000_000 },
    { name: 'BMO BANK N.A.', commitment: 60_000_000 },
    { name: 'THE HUNTINGTON NATIONAL BANK', commitment: 50_000_000 },
  ],
  facilities: [
    { kind: 'revolving', amount: 125_000_000 },
    { kind: 'termA', amount: 75_000_000 },
  ],
  maturity: { kind: 'date', date: '2027-08-26' },
  closingDate: 'hereof',
  lcSublimit: 15_000_000,
  swinglineSublimit: 10_000_000,
  pricing: { kind: 'fixed', sofr: '2.00%', base: '1.00%' },
  commitmentFee: '0.25%',
  frontingFee: '0.125%',
  floor: '0%',
  defaultRate: '2%',
  law: 'Illinois',
  lawCaps: false,
  businessDay: BD_SIMPLE,
  covenants: [
    { name: 'Consolidated Total Leverage Ratio', direction: 'max', value: '3.75:1.00' },
    { name: 'Consolidated Fixed Charge Coverage Ratio', direction: 'min', value: '1.25:1.00' },
  ],
  prepaymentPremium: false,
  secured: true,
  fillerSchedules: 300,
  quoteStyle: 'curly',
  dayCount360Only: false,
};

interface Doc {
  name: string;
  description: string;
  build: () => { text: string; labels: Labels };
}

export const CORPUS: Doc[] = [
  {
    name: 'acme-revolving-credit-agreement',
    description: 'Syndicated revolver, pricing grid, long (BofA style)',
    build: () => buildAgreement(acme),
  },
  {
    name: 'harbor-term-loan-a-b-agreement',
    description: 'Term Loan A/B, secured, per-facility maturities, long (JPM style)',
    build: () => buildAgreement(harbor),
  },
  {
    name: 'meridian-364-day-credit-agreement',
    description: '364-day revolver, relative maturity computed from the date hereof',
    build: () => buildAgreement(meridian),
  },
  {
    name: 'northwind-multi-borrower-credit-agreement',
    description: 'Two borrowers, named guarantor, revolver + term loan A',
    build: () => buildAgreement(northwind),
  },
  {
    name: 'granite-amendment-no-2',
    description: 'Amendment extending maturity and increasing commitments',
    build: buildAmendment,
  },
  {
    name: 'summit-term-sheet',
    description: 'Term sheet, label layout, relative maturity, not executed',
    build: buildTermSheet,
  },
  {
    name: 'pinecrest-promissory-note',
    description: 'Bilateral promissory note, Prime-based',
    build: buildNote,
  },
  {
    name: 'cobalt-sparse-loan-agreement',
    description: 'Unexecuted form with most terms absent (null labels)',
    build: buildSparseAgreement,
  },
];

function main(): void {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
  mkdirSync(dir, { recursive: true });
  for (const d of CORPUS) {
    const { text, labels } = d.build();
    writeFileSync(join(dir, `${d.name}.txt`), text);
    writeFileSync(
      join(dir, `${d.name}.labels.json`),
      `${JSON.stringify({ document: `${d.name}.txt`, description: d.description, ...labels }, null, 2)}\n`,
    );
    const pages = text.split('\f').length;
    process.stdout.write(`${d.name}: ${pages} pages, ${text.length} characters\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
