import type { Terms } from './boilerplate.js';
import {
  affirmativeCovenants,
  agencyProvisions,
  exhibits,
  generalDefinitions,
  miscProvisions,
  negativeCovenants,
  representations,
} from './boilerplate.js';
import type { Block } from './layout.js';
import { center, layout, longDate, money, money2, p, pageBreak, pre, rng } from './layout.js';

/** A syndicated credit agreement, described by its terms; the text and its labels come from the same spec. */
export interface AgreementSpec {
  seed: number;
  style: 'boa' | 'jpm';
  title: string; // "CREDIT AGREEMENT"
  executionDate: string | null; // null: an unexecuted form ("as of ________, 2024")
  borrowers: { name: string; description: string; alias?: string }[];
  borrowerTerm: string; // "Borrower" or "Borrowers"
  namedGuarantors: { name: string; description: string }[];
  agent: { name: string; roles: string[]; description?: string };
  cover: { names: string[]; roles: string }[]; // extra cover-page parties (arrangers, syndication agent)
  lenders: { name: string; commitment: number; roles?: string[] }[];
  facilities: { kind: 'revolving' | 'termA' | 'termB'; amount: number }[];
  maturity:
    | { kind: 'date'; date: string }
    | { kind: 'perFacility'; dates: Record<string, string> }
    | { kind: 'relative'; text: string; computed: string | null };
  /** 'hereof', 'conditions' (fixed by conditions precedent) or an ISO date. */
  closingDate: string;
  lcSublimit: number | null;
  swinglineSublimit: number | null;
  pricing:
    | { kind: 'fixed'; sofr: string; base: string }
    | { kind: 'grid'; basis: string; rows: { test: string; fee: string; sofr: string; base: string }[] };
  commitmentFee: string | null; // e.g. "0.25%" or "Applicable Rate"; null for a term-only agreement
  frontingFee: string | null;
  floor: string;
  defaultRate: string;
  law: string;
  lawCaps: boolean;
  businessDay: string;
  covenants: { name: string; direction: 'max' | 'min'; value: string }[];
  prepaymentPremium: boolean;
  secured: boolean;
  fillerSchedules: number; // rows in long schedules, to reach a realistic page count
  quoteStyle: 'curly' | 'straight';
  dayCount360Only: boolean;
}

export interface Labels {
  schema: 'credit_agreement';
  fields: Record<string, unknown>;
  booking_sheet: Record<string, unknown>;
}

const FACILITY_NAMES = {
  revolving: 'Revolving Credit Facility',
  termA: 'Term Loan A',
  termB: 'Term Loan B',
} as const;

function commitmentTerm(
  kind: 'revolving' | 'termA' | 'termB',
  style: 'boa' | 'jpm',
  single: boolean,
): string {
  if (kind === 'revolving')
    return single && style === 'boa' ? 'Aggregate Commitments' : 'Revolving Commitments';
  return kind === 'termA' ? 'Term A Commitments' : 'Term B Commitments';
}

export function buildAgreement(spec: AgreementSpec): { text: string; labels: Labels } {
  const random = rng(spec.seed);
  const [o, c] = spec.quoteStyle === 'curly' ? ['“', '”'] : ['"', '"'];
  const q = (s: string): string => `${o}${s}${c}`;
  const agentTerm = spec.style === 'boa' ? 'Administrative Agent' : 'Administrative Agent';
  const loanParties = spec.secured || spec.namedGuarantors.length > 0 ? 'Loan Party' : 'Loan Party';
  const terms: Terms = {
    borrower: spec.borrowerTerm,
    agent: agentTerm,
    q: [o, c],
    loanParties,
    threshold: '$75,000,000',
  };
  const B = `the ${spec.borrowerTerm}`;
  const revolving = spec.facilities.some((f) => f.kind === 'revolving');
  const single = spec.facilities.length === 1;
  const dated = spec.executionDate
    ? longDate(spec.executionDate)
    : `____________, ${new Date().getUTCFullYear()}`;
  const optionS = spec.style === 'boa' ? 'Term SOFR' : 'Term SOFR';
  const optionB = spec.style === 'boa' ? 'Base Rate' : 'ABR';
  const optionBLabel = spec.style === 'boa' ? 'Base Rate' : 'Alternate Base Rate';
  const blocks: Block[] = [];
  const heading = (n: string, title: string): Block => center(`ARTICLE ${n}\n${title}`);
  const sec = (num: string, title: string, body: string): Block =>
    p(spec.style === 'boa' ? `${num} ${title}. ${body}` : `SECTION ${num}. ${title}. ${body}`);

  // ---- Cover
  const coverLines: string[] = [
    'Execution Version',
    '',
    '',
    spec.title,
    '',
    `Dated as of ${dated}`,
    '',
    'among',
    '',
  ];
  spec.borrowers.forEach((b, i) => {
    coverLines.push(`${b.name},`, spec.borrowers.length > 1 ? 'as a Borrower,' : 'as the Borrower,', '');
    if (i === spec.borrowers.length - 1 && spec.borrowers.length > 1) coverLines.push('');
  });
  for (const g of spec.namedGuarantors) coverLines.push(`${g.name},`, 'as a Guarantor,', '');
  coverLines.push(
    'THE LENDERS PARTY HERETO',
    '',
    'and',
    '',
    `${spec.agent.name},`,
    `as ${joinRoles(spec.agent.roles)}`,
    '',
    '',
  );
  for (const cp of spec.cover) coverLines.push(`${cp.names.join(' and ')},`, `as ${cp.roles}`, '');
  blocks.push(center(coverLines.join('\n')), pageBreak());

  // ---- Table of contents
  const toc: string[] = [
    'TABLE OF CONTENTS',
    '',
    'Section                                                                                   Page',
    '',
  ];
  const tocArticles: [string, string, string[]][] = [
    [
      'I',
      'DEFINITIONS AND ACCOUNTING TERMS',
      [
        'Defined Terms',
        'Other Interpretive Provisions',
        'Accounting Terms',
        'Rounding',
        'Times of Day',
        'Letter of Credit Amounts',
      ],
    ],
    [
      'II',
      'THE COMMITMENTS AND CREDIT EXTENSIONS',
      [
        'The Loans',
        'Borrowings, Conversions and Continuations of Loans',
        'Letters of Credit',
        'Swing Line Loans',
        'Prepayments',
        'Termination or Reduction of Commitments',
        'Repayment of Loans',
        'Interest',
        'Fees',
        'Computation of Interest and Fees',
        'Evidence of Debt',
        'Payments Generally',
        'Sharing of Payments by Lenders',
        'Increase in Commitments',
        'Cash Collateral',
        'Defaulting Lenders',
      ],
    ],
    [
      'III',
      'TAXES, YIELD PROTECTION AND ILLEGALITY',
      [
        'Taxes',
        'Illegality',
        'Inability to Determine Rates',
        'Increased Costs',
        'Compensation for Losses',
        'Mitigation Obligations',
        'Survival',
      ],
    ],
    [
      'IV',
      'CONDITIONS PRECEDENT TO CREDIT EXTENSIONS',
      ['Conditions of Initial Credit Extension', 'Conditions to all Credit Extensions'],
    ],
    ['V', 'REPRESENTATIONS AND WARRANTIES', representations(terms).map(([h]) => h)],
    ['VI', 'AFFIRMATIVE COVENANTS', affirmativeCovenants(terms).map(([h]) => h)],
    [
      'VII',
      'NEGATIVE COVENANTS',
      [
        ...negativeCovenants(terms, { liens: '', debt: '', investments: '', restricted: '' }).map(([h]) => h),
        'Financial Covenants',
      ],
    ],
    [
      'VIII',
      'EVENTS OF DEFAULT AND REMEDIES',
      ['Events of Default', 'Remedies upon Event of Default', 'Application of Funds'],
    ],
    ['IX', 'ADMINISTRATIVE AGENT', agencyProvisions(terms).map(([h]) => h)],
    ['X', 'MISCELLANEOUS', miscProvisions(terms, spec.law, spec.lawCaps).map(([h]) => h)],
  ];
  let page = 1;
  tocArticles.forEach(([n, title, sections], ai) => {
    toc.push(`ARTICLE ${n} ${title}`.padEnd(88) + String(page));
    sections.forEach((s, si) => {
      const num = `${ai + 1}.${String(si + 1).padStart(2, '0')}`;
      toc.push(`${num} ${s}`.padEnd(88, ' ') + String(page));
      page += 1 + Math.floor(random() * 3);
    });
  });
  toc.push(
    '',
    'SCHEDULES',
    '',
    'Schedule 2.01 Commitments and Applicable Percentages',
    'Schedule 5.13 Subsidiaries; Other Equity Investments',
    'Schedule 7.01 Existing Liens',
    'Schedule 7.03 Existing Indebtedness',
    'Schedule 10.02 Administrative Agent’s Office; Certain Addresses for Notices',
    '',
    'EXHIBITS',
    '',
    'Exhibit A Form of Committed Loan Notice',
    'Exhibit B Form of Note',
    'Exhibit C Form of Compliance Certificate',
    'Exhibit D Form of Assignment and Assumption',
  );
  blocks.push(pre(toc.join('\n')), pageBreak());

  // ---- Preamble
  const borrowerClause = spec.borrowers
    .map((b, i) => {
      if (spec.borrowers.length === 1)
        return `${b.name}, ${b.description} (${B === 'the Borrower' ? `the ${q('Borrower')}` : `the ${q(spec.borrowerTerm)}`})`;
      if (i < spec.borrowers.length - 1) return `${b.name}, ${b.description} (${q(b.alias!)})`;
      const others = spec.borrowers
        .slice(0, -1)
        .map((x) => x.alias!)
        .join(' and ');
      return `${b.name}, ${b.description} (${q(b.alias!)} and, together with ${others}, the ${q('Borrowers')} and each, a ${q('Borrower')})`;
    })
    .join(', ');
  const guarantorClause = spec.namedGuarantors
    .map((g) => `${g.name}, ${g.description}, as a Guarantor`)
    .join(', ');
  const agentClause = `${spec.agent.name}${spec.agent.description ? `, ${spec.agent.description},` : ','} as ${joinRoles(spec.agent.roles)}`;
  if (spec.style === 'boa') {
    blocks.push(center(spec.title));
    blocks.push(
      p(
        `This ${spec.title} (this ${q('Agreement')}) is entered into as of ${dated}, among ${borrowerClause}, ${guarantorClause ? `${guarantorClause}, ` : ''}each lender from time to time party hereto (collectively, the ${q('Lenders')} and individually, a ${q('Lender')}), and ${agentClause}.`,
      ),
    );
    blocks.push(center('PRELIMINARY STATEMENTS:'));
    blocks.push(
      p(
        `${B} has requested that the Lenders provide ${describeFacilities(spec)}, and the Lenders are willing to do so on the terms and conditions set forth herein. ${B} is party to that certain Existing Credit Agreement dated as of May 1, 2019, which will be repaid in full on the Closing Date.`,
      ),
    );
    blocks.push(
      p(
        `In consideration of the mutual covenants and agreements herein contained, the parties hereto covenant and agree as follows:`,
      ),
    );
  } else {
    blocks.push(
      p(
        `${spec.title} dated as of ${dated} (this ${q('Agreement')}), among ${borrowerClause}, ${guarantorClause ? `${guarantorClause}, ` : ''}the LENDERS party hereto and ${agentClause}.`,
      ),
    );
    blocks.push(p(`The parties hereto agree as follows:`));
  }

  // ---- Article I
  blocks.push(heading('I', 'DEFINITIONS AND ACCOUNTING TERMS'));
  blocks.push(
    p(
      spec.style === 'boa'
        ? '1.01 Defined Terms. As used in this Agreement, the following terms shall have the meanings set forth below:'
        : 'SECTION 1.01. Defined Terms. As used in this Agreement, the following terms have the meanings specified below:',
    ),
  );
  // JPMorgan-style agreements call base-rate loans "ABR Loans" throughout.
  const defs: [string, string][] = generalDefinitions(terms).map(([k, v]) => [
    k,
    optionB === 'ABR' ? v.replace(/Base Rate Loan/g, 'ABR Loan') : v,
  ]);
  const total = spec.facilities.reduce((s, f) => s + f.amount, 0);
  for (const f of spec.facilities) {
    const term = commitmentTerm(f.kind, spec.style, single);
    if (f.kind === 'revolving' && single && spec.style === 'boa') {
      defs.push([
        'Aggregate Commitments',
        `means the Commitments of all the Lenders. The initial amount of the Aggregate Commitments in effect on the Closing Date is ${money(f.amount)}.`,
      ]);
      defs.push([
        'Commitment',
        `means, as to each Lender, its obligation to (a) make Committed Loans to ${B} pursuant to Section 2.01, (b) purchase participations in L/C Obligations, and (c) purchase participations in Swing Line Loans, in an aggregate principal amount at any one time outstanding not to exceed the amount set forth opposite such Lender's name on Schedule 2.01 or in the Assignment and Assumption pursuant to which such Lender becomes a party hereto, as applicable, as such amount may be adjusted from time to time in accordance with this Agreement.`,
      ]);
    } else {
      const singular = term.replace(/s$/, '');
      defs.push([
        singular,
        `means, with respect to each Lender, the commitment of such Lender to make ${f.kind === 'revolving' ? 'Revolving Loans' : f.kind === 'termA' ? 'Term A Loans' : 'Term B Loans'} hereunder, expressed as an amount representing the maximum principal amount of such Loans to be made by such Lender hereunder, as such commitment may be reduced or increased from time to time pursuant to this Agreement. The initial amount of each Lender's ${singular} is set forth on Schedule 2.01. The initial aggregate amount of the Lenders' ${term} is ${money(f.amount)}.`,
      ]);
    }
  }
  defs.push(['Applicable Rate', pricingDefinition(spec, optionS, optionB)]);
  defs.push(['Business Day', spec.businessDay]);
  defs.push([
    'Closing Date',
    spec.closingDate === 'hereof'
      ? 'means the date hereof.'
      : spec.closingDate === 'conditions'
        ? `means the first date on which all the conditions precedent in Section 4.01 are satisfied or waived in accordance with Section 10.01.`
        : `means ${longDate(spec.closingDate)}.`,
  ]);
  defs.push([
    'Default Rate',
    `means (a) when used with respect to Obligations other than Letter of Credit Fees, an interest rate equal to (i) the ${optionBLabel === 'Base Rate' ? 'Base Rate' : 'Alternate Base Rate'} plus (ii) the Applicable Rate, if any, applicable to ${optionB} Loans plus (iii) ${spec.defaultRate} per annum; provided, however, that with respect to a ${optionS} Loan, the Default Rate shall be an interest rate equal to the interest rate (including any Applicable Rate) otherwise applicable to such Loan plus ${spec.defaultRate} per annum, and (b) when used with respect to Letter of Credit Fees, a rate equal to the Applicable Rate plus ${spec.defaultRate} per annum.`,
  ]);
  defs.push(['Floor', `means a rate of interest equal to ${spec.floor}.`]);
  defs.push([
    optionB === 'ABR' ? 'Alternate Base Rate' : 'Base Rate',
    `means for any day a fluctuating rate of interest per annum equal to the highest of (a) the Federal Funds Rate plus 1/2 of 1%, (b) the rate of interest in effect for such day as publicly announced from time to time by ${spec.agent.name} as its ${q('prime rate')}, and (c) Term SOFR plus 1.00%, subject to the interest rate floors set forth therein; provided that if the ${optionB === 'ABR' ? 'Alternate Base Rate' : 'Base Rate'} shall be less than 1.00%, such rate shall be deemed 1.00% for purposes of this Agreement.`,
  ]);
  if (optionB === 'ABR')
    defs.push([
      'ABR',
      `when used in reference to any Loan or Borrowing, refers to such Loan, or the Loans comprising such Borrowing, bearing interest at a rate determined by reference to the Alternate Base Rate.`,
    ]);
  defs.push([
    'Term SOFR',
    `means, for any Interest Period with respect to a Term SOFR Loan, the rate per annum equal to the Term SOFR Screen Rate two U.S. Government Securities Business Days prior to the commencement of such Interest Period with a term equivalent to such Interest Period; provided that if the rate is not published prior to 11:00 a.m. on such determination date then Term SOFR means the Term SOFR Screen Rate on the first U.S. Government Securities Business Day immediately prior thereto; provided further that if Term SOFR determined in accordance with the foregoing shall be less than the Floor, such rate shall be deemed to be the Floor for purposes of this Agreement.`,
  ]);
  defs.push(['Term SOFR Loan', `means a Loan that bears interest at a rate based on Term SOFR.`]);
  defs.push([
    'Type',
    `means, with respect to a Loan, its character as a ${optionB} Loan or a ${optionS} Loan.`,
  ]);
  if (spec.lcSublimit)
    defs.push([
      'Letter of Credit Sublimit',
      `means an amount equal to the lesser of (a) ${money(spec.lcSublimit)} and (b) the ${revolving ? commitmentTerm('revolving', spec.style, single) : 'Aggregate Commitments'}. The Letter of Credit Sublimit is part of, and not in addition to, the ${revolving ? commitmentTerm('revolving', spec.style, single) : 'Aggregate Commitments'}.`,
    ]);
  if (spec.swinglineSublimit)
    defs.push([
      'Swing Line Sublimit',
      `means an amount equal to the lesser of (a) ${money(spec.swinglineSublimit)} and (b) the ${commitmentTerm('revolving', spec.style, single)}. The Swing Line Sublimit is part of, and not in addition to, the ${commitmentTerm('revolving', spec.style, single)}.`,
    ]);
  if (spec.maturity.kind === 'date')
    defs.push([
      'Maturity Date',
      `means ${longDate(spec.maturity.date)}; provided, however, that if such date is not a Business Day, the Maturity Date shall be the next preceding Business Day.`,
    ]);
  else if (spec.maturity.kind === 'relative')
    defs.push([
      'Maturity Date',
      `means ${spec.maturity.text}; provided, however, that if such date is not a Business Day, the Maturity Date shall be the next preceding Business Day.`,
    ]);
  else {
    const parts = Object.entries(spec.maturity.dates).map(
      ([k, d], i) =>
        `(${String.fromCharCode(97 + i)}) with respect to the ${FACILITY_NAMES[k as 'revolving'] === 'Revolving Credit Facility' ? 'Revolving Facility' : k === 'termA' ? 'Term A Facility' : 'Term B Facility'}, ${longDate(d)}`,
    );
    defs.push([
      'Maturity Date',
      `means ${parts.join(' and ')}; provided, however, that, in each case, if such day is not a Business Day, the Maturity Date shall be the immediately preceding Business Day.`,
    ]);
  }
  if (spec.secured) {
    defs.push([
      'Security Agreement',
      `means the Pledge and Security Agreement, dated as of the Closing Date, among the Loan Parties and the ${agentTerm}, substantially in the form of Exhibit F.`,
    ]);
    defs.push([
      'Collateral',
      `means all of the ${q('Collateral')} and ${q('Mortgaged Property')} referred to in the Collateral Documents and all of the other property that is or is intended under the terms of the Collateral Documents to be subject to Liens in favor of the ${agentTerm} for the benefit of the Secured Parties.`,
    ]);
  }
  if (spec.prepaymentPremium)
    defs.push([
      'Repricing Transaction',
      `means the prepayment, refinancing, substitution or replacement of all or a portion of the Term B Loans with the incurrence by the Borrower of any broadly syndicated term loans having an effective interest rate margin that is less than the Applicable Rate for, or effective yield of, the Term B Loans.`,
    ]);
  defs.sort((a, b) => a[0].localeCompare(b[0]));
  for (const [term, body] of defs) {
    // A definition with a table keeps the table's line layout, as PDF text extraction does.
    const [first, ...rest] = body.split('\n\n');
    blocks.push(p(`${q(term)} ${first}`));
    for (const part of rest) blocks.push(part.includes('\n') ? pre(part) : p(part));
  }
  blocks.push(
    p(
      spec.style === 'boa'
        ? '1.02 Other Interpretive Provisions. With reference to this Agreement and each other Loan Document, unless otherwise specified herein or in such other Loan Document: (a) the definitions of terms herein shall apply equally to the singular and plural forms of the terms defined; (b) the words "herein," "hereof" and "hereunder," and words of similar import when used in any Loan Document, shall be construed to refer to such Loan Document in its entirety and not to any particular provision thereof.'
        : `SECTION 1.02. Classification of Loans and Borrowings. For purposes of this Agreement, Loans may be classified and referred to by Class (e.g., a "${revolving ? 'Revolving Loan' : 'Term Loan'}") or by Type (e.g., a "Term SOFR Loan") or by Class and Type (e.g., a "Term SOFR ${revolving ? 'Revolving Loan' : 'Term Loan'}").`,
    ),
  );
  blocks.push(
    p(
      `${spec.style === 'boa' ? '1.03' : 'SECTION 1.03.'} Accounting Terms. All accounting terms not specifically or completely defined herein shall be construed in conformity with, and all financial data (including financial ratio and other financial calculations) required to be submitted pursuant to this Agreement shall be prepared in conformity with, GAAP applied on a consistent basis, as in effect from time to time.`,
    ),
  );

  // ---- Article II
  blocks.push(heading('II', 'THE COMMITMENTS AND CREDIT EXTENSIONS'));
  const loanSecs: string[] = [];
  for (const f of spec.facilities) {
    if (f.kind === 'revolving')
      loanSecs.push(
        `Subject to the terms and conditions set forth herein, each Lender severally agrees to make loans (each such loan, a ${q(single && spec.style === 'boa' ? 'Committed Loan' : 'Revolving Loan')}) to ${B} from time to time, on any Business Day during the Availability Period, in an aggregate amount not to exceed at any time outstanding the amount of such Lender's Commitment. Within the limits of each Lender's Commitment, and subject to the other terms and conditions hereof, ${B} may borrow under this Section 2.01, prepay under Section 2.05, and reborrow under this Section 2.01. Revolving Loans may be ${optionB} Loans or ${optionS} Loans, as further provided herein.`,
      );
    else
      loanSecs.push(
        `Subject to the terms and conditions set forth herein, each Lender severally agrees to make a single loan to ${B} on the Closing Date in an amount not to exceed such Lender's ${f.kind === 'termA' ? 'Term A Commitment' : 'Term B Commitment'}. Amounts borrowed under this Section 2.01 in respect of ${f.kind === 'termA' ? 'Term A Loans' : 'Term B Loans'} and repaid or prepaid may not be reborrowed. ${f.kind === 'termA' ? 'Term A Loans' : 'Term B Loans'} may be ${optionB} Loans or ${optionS} Loans, as further provided herein.`,
      );
  }
  blocks.push(sec('2.01', 'The Loans', loanSecs.join(' ')));
  blocks.push(
    sec(
      '2.02',
      'Borrowings, Conversions and Continuations of Loans',
      `(a) Each Borrowing, each conversion of Loans from one Type to the other, and each continuation of ${optionS} Loans shall be made upon ${B}'s irrevocable notice to the ${agentTerm}, which may be given by telephone. Each such notice must be received by the ${agentTerm} not later than 11:00 a.m. (i) three Business Days prior to the requested date of any Borrowing of, conversion to or continuation of ${optionS} Loans or of any conversion of ${optionS} Loans to ${optionB} Loans, and (ii) on the requested date of any Borrowing of ${optionB} Loans. Each Borrowing of, conversion to or continuation of ${optionS} Loans shall be in a principal amount of $5,000,000 or a whole multiple of $1,000,000 in excess thereof. Each Borrowing of or conversion to ${optionB} Loans shall be in a principal amount of $500,000 or a whole multiple of $100,000 in excess thereof.`,
    ),
  );
  if (spec.lcSublimit)
    blocks.push(
      sec(
        '2.03',
        'Letters of Credit',
        `(a) The Letter of Credit Commitment. Subject to the terms and conditions set forth herein, each L/C Issuer agrees, in reliance upon the agreements of the Lenders set forth in this Section 2.03, to issue Letters of Credit for the account of ${B} or its Subsidiaries, and to amend or extend Letters of Credit previously issued by it; provided that after giving effect to any L/C Credit Extension with respect to any Letter of Credit, the Outstanding Amount of the L/C Obligations shall not exceed the Letter of Credit Sublimit. (h) Letter of Credit Fees. ${B} shall pay to the ${agentTerm} for the account of each Lender in accordance with its Applicable Percentage a Letter of Credit fee (the ${q('Letter of Credit Fee')}) for each Letter of Credit equal to the Applicable Rate times the daily amount available to be drawn under such Letter of Credit. Letter of Credit Fees shall be (i) due and payable on the first Business Day after the end of each March, June, September and December, in arrears, commencing with the first such date to occur after the issuance of such Letter of Credit, and (ii) computed on a quarterly basis in arrears. ${spec.frontingFee ? `(i) Fronting Fee and Documentary and Processing Charges Payable to L/C Issuer. ${B} shall pay directly to each L/C Issuer for its own account a fronting fee with respect to each Letter of Credit, at the rate per annum equal to ${spec.frontingFee}, computed on the daily amount available to be drawn under such Letter of Credit on a quarterly basis in arrears, and due and payable on the tenth Business Day after the end of each March, June, September and December.` : ''}`,
      ),
    );
  if (spec.swinglineSublimit)
    blocks.push(
      sec(
        '2.04',
        'Swing Line Loans',
        `(a) The Swing Line. Subject to the terms and conditions set forth herein, the Swing Line Lender, in reliance upon the agreements of the other Lenders set forth in this Section 2.04, may in its sole discretion make loans (each such loan, a ${q('Swing Line Loan')}) to ${B} from time to time on any Business Day during the Availability Period in an aggregate amount not to exceed at any time outstanding the amount of the Swing Line Sublimit.`,
      ),
    );
  blocks.push(
    sec(
      '2.05',
      'Prepayments',
      spec.prepaymentPremium
        ? `(a) ${B} may, upon notice to the ${agentTerm}, at any time or from time to time voluntarily prepay Loans in whole or in part without premium or penalty, subject to Section 2.05(c); provided that any prepayment of ${optionS} Loans shall be in a principal amount of $5,000,000 or a whole multiple of $1,000,000 in excess thereof. (c) Prepayment Premium. In the event that, on or prior to the date that is six months after the Closing Date, ${B} (x) makes any prepayment of Term B Loans in connection with any Repricing Transaction or (y) effects any amendment of this Agreement resulting in a Repricing Transaction, ${B} shall pay to the ${agentTerm}, for the ratable account of each of the applicable Lenders, a prepayment premium equal to 1.00% of the aggregate principal amount of the Term B Loans so prepaid.`
        : `(a) ${B} may, upon notice to the ${agentTerm}, at any time or from time to time voluntarily prepay Loans in whole or in part without premium or penalty; provided that (i) such notice must be received by the ${agentTerm} not later than 11:00 a.m. three Business Days prior to any date of prepayment of ${optionS} Loans and on the date of prepayment of ${optionB} Loans; and (ii) any prepayment of ${optionS} Loans shall be in a principal amount of $5,000,000 or a whole multiple of $1,000,000 in excess thereof. Any prepayment of a ${optionS} Loan shall be accompanied by all accrued interest on the amount prepaid, together with any additional amounts required pursuant to Section 3.05.`,
    ),
  );
  blocks.push(
    sec(
      '2.06',
      'Termination or Reduction of Commitments',
      `${B} may, upon notice to the ${agentTerm}, terminate the Commitments, or from time to time permanently reduce the Commitments; provided that (i) any such notice shall be received by the ${agentTerm} not later than 11:00 a.m. five Business Days prior to the date of termination or reduction, and (ii) any such partial reduction shall be in an aggregate amount of $10,000,000 or any whole multiple of $1,000,000 in excess thereof.`,
    ),
  );
  blocks.push(
    sec(
      '2.07',
      'Repayment of Loans',
      `${B} shall repay to the Lenders on the Maturity Date the aggregate principal amount of all Loans outstanding on such date.${spec.facilities.some((f) => f.kind !== 'revolving') ? ` ${B} shall repay the Term Loans in consecutive quarterly installments on the last Business Day of each March, June, September and December, commencing with the first full fiscal quarter ending after the Closing Date, each in an amount equal to 0.25% of the aggregate principal amount of the Term Loans made on the Closing Date.` : ''}`,
    ),
  );
  blocks.push(
    sec(
      '2.08',
      'Interest',
      `(a) Subject to the provisions of subsection (b) below, (i) each ${optionS} Loan shall bear interest on the outstanding principal amount thereof for each Interest Period at a rate per annum equal to Term SOFR for such Interest Period plus the Applicable Rate; and (ii) each ${optionB} Loan shall bear interest on the outstanding principal amount thereof from the applicable borrowing date at a rate per annum equal to the ${optionBLabel === 'Base Rate' ? 'Base Rate' : 'Alternate Base Rate'} plus the Applicable Rate. (b) If any amount of principal of any Loan is not paid when due (without regard to any applicable grace periods), whether at stated maturity, by acceleration or otherwise, such amount shall thereafter bear interest at a fluctuating interest rate per annum at all times equal to the Default Rate to the fullest extent permitted by applicable Laws.`,
    ),
  );
  const feeParas: string[] = [];
  if (spec.commitmentFee)
    feeParas.push(
      `(a) Commitment Fee. ${B} shall pay to the ${agentTerm} for the account of each Lender in accordance with its Applicable Percentage, a commitment fee equal to ${spec.commitmentFee === 'Applicable Rate' ? 'the Applicable Rate' : `${spec.commitmentFee} per annum`} times the actual daily amount by which the ${commitmentTerm('revolving', spec.style, single)} exceed the sum of (i) the Outstanding Amount of Revolving Loans and (ii) the Outstanding Amount of L/C Obligations. The commitment fee shall accrue at all times during the Availability Period, including at any time during which one or more of the conditions in Article IV is not met, and shall be due and payable quarterly in arrears on the last Business Day of each March, June, September and December.`,
    );
  feeParas.push(
    `(b) Other Fees. ${B} shall pay to the Arrangers and the ${agentTerm} for their own respective accounts fees in the amounts and at the times specified in the Fee Letter. Such fees shall be fully earned when paid and shall not be refundable for any reason whatsoever.`,
  );
  blocks.push(sec('2.09', 'Fees', feeParas.join(' ')));
  blocks.push(
    sec(
      '2.10',
      'Computation of Interest and Fees',
      spec.dayCount360Only
        ? `All computations of interest and fees shall be made on the basis of a 360-day year and actual days elapsed (which results in more fees or interest, as applicable, being paid than if computed on the basis of a 365-day year).`
        : `All computations of interest for ${optionB} Loans (including ${optionB} Loans determined by reference to Term SOFR) shall be made on the basis of a year of 365 or 366 days, as the case may be, and actual days elapsed. All other computations of fees and interest shall be made on the basis of a 360-day year and actual days elapsed (which results in more fees or interest, as applicable, being paid than if computed on the basis of a 365-day year).`,
    ),
  );
  blocks.push(
    sec(
      '2.11',
      'Evidence of Debt',
      `The Credit Extensions made by each Lender shall be evidenced by one or more accounts or records maintained by such Lender and by the ${agentTerm} in the ordinary course of business. The accounts or records maintained by the ${agentTerm} and each Lender shall be conclusive absent manifest error of the amount of the Credit Extensions made by the Lenders to ${B} and the interest and payments thereon.`,
    ),
  );
  blocks.push(
    sec(
      '2.12',
      'Payments Generally',
      `All payments to be made by ${B} shall be made free and clear of and without condition or deduction for any counterclaim, defense, recoupment or setoff. Except as otherwise expressly provided herein, all payments by ${B} hereunder shall be made to the ${agentTerm}, for the account of the respective Lenders to which such payment is owed, at the ${agentTerm}'s Office in Dollars and in immediately available funds not later than 2:00 p.m. on the date specified herein.`,
    ),
  );
  if (revolving)
    blocks.push(
      sec(
        '2.14',
        'Increase in Commitments',
        `Upon notice to the ${agentTerm} (which shall promptly notify the Lenders), ${B} may from time to time request an increase in the ${commitmentTerm('revolving', spec.style, single)} by an amount (for all such requests) not exceeding ${money(Math.round(total / 2))}; provided that any such request for an increase shall be in a minimum amount of $25,000,000. After giving effect to any such increase, the ${commitmentTerm('revolving', spec.style, single)} shall not exceed ${money(Math.round(total * 1.5))}.`,
      ),
    );

  // ---- Article III/IV
  blocks.push(heading('III', 'TAXES, YIELD PROTECTION AND ILLEGALITY'));
  blocks.push(
    sec(
      '3.01',
      'Taxes',
      `Any and all payments by or on account of any obligation of any Loan Party under any Loan Document shall be made without deduction or withholding for any Taxes, except as required by applicable Laws. If any applicable Laws require the deduction or withholding of any Tax from any such payment, then the applicable withholding agent shall be entitled to make such deduction or withholding, and if such Tax is an Indemnified Tax, then the sum payable by the applicable Loan Party shall be increased as necessary so that after any required withholding or the making of all required deductions the applicable Recipient receives an amount equal to the sum it would have received had no such withholding or deduction been made.`,
    ),
  );
  blocks.push(
    sec(
      '3.03',
      'Inability to Determine Rates',
      `If in connection with any request for a ${optionS} Loan or a conversion to or continuation thereof, the ${agentTerm} determines that adequate and reasonable means do not exist for determining Term SOFR for any requested Interest Period, the ${agentTerm} will promptly so notify ${B} and each Lender. Thereafter, the obligation of the Lenders to make or maintain ${optionS} Loans shall be suspended, and ${B} may revoke any pending request for a Borrowing of, conversion to or continuation of ${optionS} Loans or, failing that, will be deemed to have converted such request into a request for a Borrowing of ${optionB} Loans in the amount specified therein.`,
    ),
  );
  blocks.push(
    sec(
      '3.05',
      'Compensation for Losses',
      `Upon demand of any Lender from time to time, ${B} shall promptly compensate such Lender for and hold such Lender harmless from any loss, cost or expense incurred by it as a result of any continuation, conversion, payment or prepayment of any Loan other than a ${optionB} Loan on a day other than the last day of the Interest Period for such Loan, including any loss of anticipated profits and any loss or expense arising from the liquidation or reemployment of funds obtained by it to maintain such Loan.`,
    ),
  );
  blocks.push(heading('IV', 'CONDITIONS PRECEDENT TO CREDIT EXTENSIONS'));
  blocks.push(
    sec(
      '4.01',
      'Conditions of Initial Credit Extension',
      `The obligation of each L/C Issuer and each Lender to make its initial Credit Extension hereunder is subject to satisfaction of the following conditions precedent: (a) the ${agentTerm}'s receipt of executed counterparts of this Agreement; (b) a Note executed by ${B} in favor of each Lender requesting a Note; (c) such certificates of resolutions or other action, incumbency certificates and/or other certificates of Responsible Officers of each Loan Party as the ${agentTerm} may require; (d) a favorable opinion of counsel to the Loan Parties addressed to the ${agentTerm} and each Lender; (e) evidence that the Existing Credit Agreement dated as of May 1, 2019 has been or concurrently with the Closing Date is being terminated; and (f) any fees required to be paid on or before the Closing Date shall have been paid.`,
    ),
  );

  // ---- Article V-VII
  blocks.push(heading('V', 'REPRESENTATIONS AND WARRANTIES'));
  blocks.push(p(`${B} represents and warrants to the ${agentTerm} and the Lenders that:`));
  representations(terms).forEach(([h, body], i) =>
    blocks.push(sec(`5.${String(i + 1).padStart(2, '0')}`, h, body)),
  );
  blocks.push(heading('VI', 'AFFIRMATIVE COVENANTS'));
  blocks.push(
    p(
      `So long as any Lender shall have any Commitment hereunder, any Loan or other Obligation hereunder shall remain unpaid or unsatisfied, or any Letter of Credit shall remain outstanding, ${B} shall, and shall cause each Subsidiary to:`,
    ),
  );
  affirmativeCovenants(terms).forEach(([h, body], i) =>
    blocks.push(sec(`6.${String(i + 1).padStart(2, '0')}`, h, body)),
  );
  blocks.push(heading('VII', 'NEGATIVE COVENANTS'));
  blocks.push(
    p(
      `So long as any Lender shall have any Commitment hereunder, any Loan or other Obligation hereunder shall remain unpaid or unsatisfied, or any Letter of Credit shall remain outstanding, ${B} shall not, nor shall it permit any Subsidiary to, directly or indirectly:`,
    ),
  );
  const neg = negativeCovenants(terms, {
    liens: '$50,000,000',
    debt: money(Math.round(total / 5)),
    investments: '$35,000,000',
    restricted: '$25,000,000',
  });
  neg.forEach(([h, body], i) => blocks.push(sec(`7.${String(i + 1).padStart(2, '0')}`, h, body)));
  if (spec.covenants.length > 0) {
    const items = spec.covenants.map((cv, i) => {
      const letter = String.fromCharCode(97 + i);
      const verb = cv.direction === 'max' ? 'greater than' : 'less than';
      return `(${letter}) ${cv.name}. Permit the ${cv.name} as of the end of any fiscal quarter of ${B} to be ${verb} ${cv.value.replace(':', ' to ')}.`;
    });
    blocks.push(sec(`7.${String(neg.length + 1).padStart(2, '0')}`, 'Financial Covenants', items.join(' ')));
  }

  // ---- Article VIII
  blocks.push(heading('VIII', 'EVENTS OF DEFAULT AND REMEDIES'));
  const eods: [string, string][] = [
    [
      'Non-Payment',
      `${B} or any other Loan Party fails to pay (i) when and as required to be paid herein, any amount of principal of any Loan or any L/C Obligation, or (ii) within three days after the same becomes due, any interest on any Loan or on any L/C Obligation, or any fee due hereunder; or`,
    ],
    [
      'Specific Covenants',
      `${B} fails to perform or observe any term, covenant or agreement contained in any of Section 6.01, 6.02, 6.03 or 6.10 or Article VII; or`,
    ],
    [
      'Other Defaults',
      `any Loan Party fails to perform or observe any other covenant or agreement (not specified in subsection (a) or (b) above) contained in any Loan Document on its part to be performed or observed and such failure continues for 30 days; or`,
    ],
    [
      'Representations and Warranties',
      `any representation, warranty, certification or statement of fact made or deemed made by or on behalf of ${B} or any other Loan Party herein shall be incorrect or misleading in any material respect when made or deemed made; or`,
    ],
    [
      'Cross-Default',
      `${B} or any Subsidiary fails to make any payment when due (whether by scheduled maturity, required prepayment, acceleration, demand, or otherwise) in respect of any Indebtedness having an aggregate principal amount of more than the Threshold Amount; or`,
    ],
    [
      'Insolvency Proceedings, Etc',
      `any Loan Party or any of its Subsidiaries institutes or consents to the institution of any proceeding under any Debtor Relief Law, or makes an assignment for the benefit of creditors; or`,
    ],
    [
      'Judgments',
      `there is entered against any Loan Party or any Subsidiary a final judgment or order for the payment of money in an aggregate amount exceeding the Threshold Amount; or`,
    ],
    ['Change of Control', `there occurs any Change of Control.`],
  ];
  const eodText = eods.map(([h, body], i) => `(${String.fromCharCode(97 + i)}) ${h}. ${body}`);
  blocks.push(
    p(
      spec.style === 'boa'
        ? `8.01 Events of Default. Any of the following shall constitute an Event of Default:`
        : `SECTION 8.01. Events of Default. Any of the following shall constitute an Event of Default:`,
    ),
  );
  for (const e of eodText) blocks.push(p(e, 4));
  blocks.push(
    sec(
      '8.02',
      'Remedies upon Event of Default',
      `If any Event of Default occurs and is continuing, the ${agentTerm} shall, at the request of, or may, with the consent of, the Required Lenders, (a) declare the commitment of each Lender to make Loans and any obligation of the L/C Issuers to make L/C Credit Extensions to be terminated; (b) declare the unpaid principal amount of all outstanding Loans, all interest accrued and unpaid thereon, and all other amounts owing or payable hereunder or under any other Loan Document to be immediately due and payable, without presentment, demand, protest or other notice of any kind, all of which are hereby expressly waived by ${B}; and (c) require that ${B} Cash Collateralize the L/C Obligations.`,
    ),
  );

  // ---- Article IX/X
  blocks.push(heading('IX', 'ADMINISTRATIVE AGENT'));
  agencyProvisions(terms).forEach(([h, body], i) =>
    blocks.push(sec(`9.${String(i + 1).padStart(2, '0')}`, h, body)),
  );
  blocks.push(heading('X', 'MISCELLANEOUS'));
  miscProvisions(terms, spec.law, spec.lawCaps).forEach(([h, body], i) =>
    blocks.push(sec(`10.${String(i + 1).padStart(2, '0')}`, h, body)),
  );
  blocks.push(center('[Remainder of page intentionally left blank; signature pages follow]'), pageBreak());

  // ---- Signature pages
  blocks.push(
    p(
      `IN WITNESS WHEREOF, the parties hereto have caused this Agreement to be duly executed as of the date first above written.`,
    ),
  );
  const sig = (lines: string[]): Block =>
    pre(
      [
        ...lines,
        '',
        'By: /s/ ' + signer(random),
        `Name: ${signer(random)}`,
        `Title: ${['Vice President', 'Managing Director', 'Authorized Signatory', 'Director', 'Senior Vice President'][Math.floor(random() * 5)]}`,
        '',
      ].join('\n'),
    );
  for (const b of spec.borrowers)
    blocks.push(sig([`${b.name},`, spec.borrowers.length > 1 ? 'as a Borrower' : 'as the Borrower']));
  for (const g of spec.namedGuarantors) blocks.push(sig([`${g.name},`, 'as a Guarantor']));
  blocks.push(pre('[Signature Page to Credit Agreement]'), pageBreak());
  blocks.push(sig([`${spec.agent.name},`, `as ${joinRoles(spec.agent.roles)}`]));
  blocks.push(pre('[Signature Page to Credit Agreement]'), pageBreak());
  blocks.push(pre('LENDERS:'));
  spec.lenders.forEach((l, i) => {
    blocks.push(sig([`${l.name},`, `as a ${joinRoles(['Lender', ...(l.roles ?? [])])}`]));
    if (i % 3 === 2) blocks.push(pre('[Signature Page to Credit Agreement]'), pageBreak());
  });
  blocks.push(pageBreak());

  // ---- Schedules and exhibits (long, realistic filler)
  const sched: string[] = [
    'SCHEDULE 2.01',
    '',
    'COMMITMENTS AND APPLICABLE PERCENTAGES',
    '',
    'Lender                                              Commitment                 Applicable Percentage',
    '',
  ];
  for (const l of spec.lenders)
    sched.push(
      `${l.name.padEnd(52)}${money2(l.commitment).padEnd(27)}${((l.commitment / total) * 100).toFixed(9)}%`,
    );
  sched.push(
    '',
    `Total                                               ${money2(total).padEnd(27)}100.000000000%`,
  );
  blocks.push(pre(sched.join('\n')), pageBreak());
  const subs: string[] = [
    'SCHEDULE 5.13',
    '',
    'SUBSIDIARIES; OTHER EQUITY INVESTMENTS',
    '',
    'Part (a). Subsidiaries.',
    '',
    'Name of Subsidiary                                   Jurisdiction        Ownership     Owner',
    '',
  ];
  const states = [
    'Delaware',
    'Texas',
    'Ohio',
    'Nevada',
    'California',
    'Ontario',
    'Georgia',
    'Illinois',
    'New York',
    'Florida',
  ];
  const words = [
    'Atlas',
    'Beacon',
    'Crest',
    'Delta',
    'Everest',
    'Falcon',
    'Granite',
    'Horizon',
    'Ion',
    'Juniper',
    'Keystone',
    'Lumen',
    'Meridian',
    'Nova',
    'Orion',
    'Pioneer',
    'Quarry',
    'Ridge',
    'Sterling',
    'Titan',
  ];
  const kinds = [
    'Holdings LLC',
    'Services, Inc.',
    'Logistics LLC',
    'Manufacturing Co.',
    'Properties LLC',
    'International Ltd.',
    'Finance Corp.',
    'Technologies, Inc.',
  ];
  for (let i = 0; i < spec.fillerSchedules; i++) {
    const name = `${words[Math.floor(random() * words.length)]} ${words[Math.floor(random() * words.length)]} ${kinds[Math.floor(random() * kinds.length)]}`;
    subs.push(
      `${name.padEnd(53)}${states[Math.floor(random() * states.length)]!.padEnd(20)}${(random() < 0.8 ? '100%' : `${Math.floor(50 + random() * 49)}%`).padEnd(14)}${spec.borrowers[0]!.name}`,
    );
  }
  blocks.push(pre(subs.join('\n')), pageBreak());
  const liens: string[] = [
    'SCHEDULE 7.01',
    '',
    'EXISTING LIENS',
    '',
    'Debtor                         Secured Party                     Filing Office          File Number      Collateral',
    '',
  ];
  for (let i = 0; i < spec.fillerSchedules; i++) {
    liens.push(
      `${spec.borrowers[0]!.name.slice(0, 28).padEnd(31)}${['Dell Financial Services L.L.C.', 'De Lage Landen Financial', 'Caterpillar Financial Services', 'Toyota Industries Commercial', 'Wells Fargo Vendor Financial', 'IBM Credit LLC'][Math.floor(random() * 6)]!.padEnd(34)}${states[Math.floor(random() * states.length)]!.padEnd(10)} SOS   ${String(Math.floor(random() * 9e9)).padStart(10, '0')}       Leased equipment`,
    );
  }
  blocks.push(pre(liens.join('\n')), pageBreak());
  const debts: string[] = ['SCHEDULE 7.03', '', 'EXISTING INDEBTEDNESS', ''];
  for (let i = 0; i < Math.floor(spec.fillerSchedules / 2); i++) {
    debts.push(
      `${i + 1}. Capital lease obligations of ${words[Math.floor(random() * words.length)]} ${kinds[Math.floor(random() * kinds.length)]} in favor of ${['PNC Equipment Finance, LLC', 'U.S. Bank Equipment Finance', 'Key Equipment Finance Inc.', 'Banc of America Leasing & Capital, LLC'][Math.floor(random() * 4)]}, outstanding principal amount ${money2(Math.floor(random() * 5e6) + 1e5)}, maturing ${longDate(`20${25 + Math.floor(random() * 6)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`)}.`,
    );
  }
  blocks.push(pre(debts.join('\n')), pageBreak());
  blocks.push(
    pre(
      `SCHEDULE 10.02\n\nADMINISTRATIVE AGENT’S OFFICE; CERTAIN ADDRESSES FOR NOTICES\n\n${spec.borrowers[0]!.name}:\n1200 Commerce Drive, Suite 400\nWilmington, Delaware 19801\nAttention: Chief Financial Officer\nTelephone: (302) 555-0142\n\nAdministrative Agent:\n${spec.agent.name}\nAgency Management\n900 West Trade Street\nCharlotte, North Carolina 28255\nAttention: Agency Officer\nEmail: agency.services@example.com`,
    ),
    pageBreak(),
  );
  for (const ex of exhibits(terms, spec.agent.name, spec.borrowers[0]!.name))
    blocks.push(pre(ex), pageBreak());

  const text = layout(blocks, {
    linesPerPage: 52,
    footer: ['{n}', 'US-DOCS\\14' + String(spec.seed).padStart(7, '0') + '.4'],
    romanPages: 0,
  });

  // ---- Labels
  const facilities: {
    facility_type: string;
    commitment_amount: { amount: string; currency: string };
    maturity_date: string | null;
  }[] = spec.facilities.map((f) => ({
    facility_type: FACILITY_NAMES[f.kind],
    commitment_amount: { amount: `${f.amount}.00`, currency: 'USD' },
    maturity_date:
      spec.maturity.kind === 'perFacility'
        ? (spec.maturity.dates[f.kind] ?? null)
        : spec.maturity.kind === 'date'
          ? spec.maturity.date
          : spec.maturity.computed,
  }));
  if (spec.lcSublimit)
    facilities.push({
      facility_type: 'Letter of Credit Sublimit',
      commitment_amount: { amount: `${spec.lcSublimit}.00`, currency: 'USD' },
      maturity_date: null,
    });
  if (spec.swinglineSublimit)
    facilities.push({
      facility_type: 'Swing Line Sublimit',
      commitment_amount: { amount: `${spec.swinglineSublimit}.00`, currency: 'USD' },
      maturity_date: null,
    });
  const finalMaturity =
    spec.maturity.kind === 'date'
      ? spec.maturity.date
      : spec.maturity.kind === 'perFacility'
        ? Object.values(spec.maturity.dates).sort().at(-1)!
        : spec.maturity.computed;
  const lenderParties: { role: string; name: string }[] = [];
  const addParty = (role: string, name: string): void => {
    if (!lenderParties.some((x) => x.role === role && x.name === name)) lenderParties.push({ role, name });
  };
  for (const r of spec.agent.roles) addParty(r, spec.agent.name);
  for (const cp of spec.cover) for (const n of cp.names) for (const r of splitRoles(cp.roles)) addParty(r, n);
  for (const l of spec.lenders) for (const r of ['Lender', ...(l.roles ?? [])]) addParty(r, l.name);
  const margins =
    spec.pricing.kind === 'fixed'
      ? [
          { rate_option: 'Term SOFR', margin: spec.pricing.sofr, tier: null },
          { rate_option: optionBLabel, margin: spec.pricing.base, tier: null },
        ]
      : spec.pricing.rows.flatMap((r, i) => [
          {
            rate_option: 'Term SOFR',
            margin: r.sofr,
            tier: `Level ${['I', 'II', 'III', 'IV', 'V'][i]}: ${r.test}`,
          },
          {
            rate_option: optionBLabel,
            margin: r.base,
            tier: `Level ${['I', 'II', 'III', 'IV', 'V'][i]}: ${r.test}`,
          },
        ]);
  const fees: { fee_type: string; fee_rate_or_amount: string; payment_frequency: string | null }[] = [];
  if (spec.commitmentFee)
    fees.push({
      fee_type: 'Commitment Fee',
      fee_rate_or_amount:
        spec.commitmentFee === 'Applicable Rate' ? 'Applicable Rate' : `${spec.commitmentFee} per annum`,
      payment_frequency: 'quarterly in arrears',
    });
  if (spec.lcSublimit)
    fees.push({
      fee_type: 'Letter of Credit Fee',
      fee_rate_or_amount: 'Applicable Rate',
      payment_frequency: 'quarterly in arrears',
    });
  if (spec.lcSublimit && spec.frontingFee)
    fees.push({
      fee_type: 'Fronting Fee',
      fee_rate_or_amount: `${spec.frontingFee} per annum`,
      payment_frequency: 'quarterly in arrears',
    });
  const bd = `${q('Business Day')} ${spec.businessDay}`.replace(/\s+/g, ' ');
  const covenants = spec.covenants.map((cv) => ({
    covenant_type: `${cv.direction === 'max' ? 'Maximum' : 'Minimum'} ${cv.name}`,
    covenant_value: cv.value,
    testing_frequency: 'Quarterly',
  }));
  const totalMoney = { amount: `${total}.00`, currency: 'USD' };
  const labels: Labels = {
    schema: 'credit_agreement',
    fields: {
      agreement_execution_date: spec.executionDate,
      borrower_names: spec.borrowers.map((b) => b.name),
      guarantors: spec.namedGuarantors.length > 0 ? spec.namedGuarantors.map((g) => g.name) : null,
      lender_parties: lenderParties,
      total_commitment: totalMoney,
      facility_details: facilities,
      interest_rate_details: {
        base_rate_options: ['Term SOFR', optionBLabel],
        applicable_margins: margins,
        rate_floor: spec.floor,
        default_rate: `${spec.defaultRate} per annum in excess of the rate otherwise applicable`,
      },
      key_fees: fees.length > 0 ? fees : null,
      maturity_date_final: finalMaturity,
      maturity_date_rule: spec.maturity.kind === 'relative' ? spec.maturity.text : null,
      governing_law: spec.law,
      definition_business_day: bd,
      financial_covenants: covenants.length > 0 ? covenants : null,
    },
    booking_sheet: {
      maturity_date: finalMaturity,
      total_loan_facility_amount: totalMoney,
      borrower_names: spec.borrowers.map((b) => b.name),
      agent: spec.agent.name,
      syndicate_agent:
        spec.cover
          .filter((cp) => /Syndication Agent/.test(cp.roles))
          .flatMap((cp) => cp.names)
          .join('; ') || null,
      governing_law: spec.law,
      is_revolving_facility: revolving,
      accrual_basis: 'Actual/360',
      prepayment_penalty: spec.prepaymentPremium,
      lender_type: spec.agent.description && /bank/i.test(spec.agent.description) ? 'bank' : null,
    },
  };
  return { text, labels };
}

function signer(random: () => number): string {
  const first = ['John', 'Maria', 'David', 'Susan', 'Robert', 'Priya', 'Michael', 'Laura', 'James', 'Chen'];
  const last = [
    'Smith',
    'Garcia',
    'Okafor',
    'Nguyen',
    'Patel',
    'Johnson',
    'Williams',
    'Brown',
    'Miller',
    'Davis',
  ];
  return `${first[Math.floor(random() * first.length)]} ${last[Math.floor(random() * last.length)]}`;
}

export function joinRoles(roles: string[]): string {
  if (roles.length <= 1) return roles.join('');
  return `${roles.slice(0, -1).join(', ')} and ${roles[roles.length - 1]}`;
}

function splitRoles(roles: string): string[] {
  return roles.split(/,\s*|\s+and\s+/).map((r) => r.replace(/^(?:a|an|the)\s+/i, '').replace(/s$/, ''));
}

function describeFacilities(spec: AgreementSpec): string {
  return spec.facilities
    .map((f) =>
      f.kind === 'revolving'
        ? 'a revolving credit facility'
        : f.kind === 'termA'
          ? 'a term loan A facility'
          : 'a term loan B facility',
    )
    .join(' and ');
}

function pricingDefinition(spec: AgreementSpec, optionS: string, optionB: string): string {
  if (spec.pricing.kind === 'fixed') {
    return `means (a) with respect to ${optionS} Loans, ${spec.pricing.sofr} per annum and (b) with respect to ${optionB} Loans, ${spec.pricing.base} per annum.`;
  }
  const rows = spec.pricing.rows
    .map(
      (r, i) =>
        `${['I', 'II', 'III', 'IV', 'V'][i]!.padEnd(10)}${r.test.padEnd(40)}${r.fee.padEnd(14)}${r.sofr.padEnd(22)}${r.base}`,
    )
    .join('\n');
  return `means, from time to time, the following percentages per annum, based upon the ${spec.pricing.basis} as set forth in the most recent Compliance Certificate received by the Administrative Agent pursuant to Section 6.02(a):\n\nApplicable Rate\n\nPricing                                                   Commitment    ${optionS} Loans +      ${optionB}\nLevel     ${spec.pricing.basis.padEnd(40)}Fee           Letters of Credit     Loans\n${rows}\n\nAny increase or decrease in the Applicable Rate resulting from a change in the ${spec.pricing.basis} shall become effective as of the first Business Day immediately following the date a Compliance Certificate is delivered pursuant to Section 6.02(a).`;
}
