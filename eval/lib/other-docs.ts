import type { Labels } from './agreement.js';
import { representations, affirmativeCovenants } from './boilerplate.js';
import type { Block } from './layout.js';
import { center, layout, p, pageBreak, pre } from './layout.js';

const NULL_FIELDS = {
  agreement_execution_date: null,
  borrower_names: null,
  guarantors: null,
  lender_parties: null,
  total_commitment: null,
  facility_details: null,
  interest_rate_details: null,
  key_fees: null,
  maturity_date_final: null,
  maturity_date_rule: null,
  governing_law: null,
  definition_business_day: null,
  financial_covenants: null,
};

/** An amendment that extends the maturity and upsizes the commitments of an existing revolver. */
export function buildAmendment(): { text: string; labels: Labels } {
  const blocks: Block[] = [
    pre('                                                                                 Execution Version'),
    center('AMENDMENT NO. 2 TO CREDIT AGREEMENT'),
    p(
      `THIS AMENDMENT NO. 2 TO CREDIT AGREEMENT (this "Amendment") is entered into as of September 30, 2024, among GRANITE PEAK MATERIALS, INC., a Colorado corporation (the "Borrower"), the Lenders party hereto and U.S. BANK NATIONAL ASSOCIATION, a national banking association, as Administrative Agent.`,
    ),
    center('RECITALS'),
    p(
      `WHEREAS, the Borrower, the Lenders from time to time party thereto and the Administrative Agent are parties to that certain Credit Agreement dated as of October 15, 2021 (as amended by Amendment No. 1 dated as of December 1, 2022, and as further amended, restated, supplemented or otherwise modified prior to the date hereof, the "Credit Agreement");`,
    ),
    p(
      `WHEREAS, the Borrower has requested that the Lenders extend the Maturity Date and increase the Aggregate Commitments, and the Lenders party hereto are willing to do so on the terms and subject to the conditions set forth herein;`,
    ),
    p(
      `NOW, THEREFORE, in consideration of the premises and the mutual covenants contained herein, the parties hereto agree as follows:`,
    ),
    p(
      `1. Defined Terms. Capitalized terms used herein and not otherwise defined herein shall have the meanings assigned to such terms in the Credit Agreement.`,
    ),
    p(
      `2. Amendments to the Credit Agreement. Effective as of the Amendment Effective Date, the Credit Agreement is hereby amended as follows:`,
    ),
    p(
      `(a) The definition of "Maturity Date" in Section 1.01 of the Credit Agreement is hereby amended by replacing "October 15, 2026" therein with "October 15, 2029".`,
      4,
    ),
    p(
      `(b) The definition of "Applicable Rate" in Section 1.01 of the Credit Agreement is hereby amended and restated in its entirety to read as follows:`,
      4,
    ),
    p(
      `"Applicable Rate" means (a) with respect to Term SOFR Loans, 1.50% per annum and (b) with respect to Base Rate Loans, 0.50% per annum.`,
      8,
    ),
    p(
      `(c) Section 2.01 of the Credit Agreement is hereby amended by adding the following sentence at the end thereof: "After giving effect to Amendment No. 2, the Aggregate Commitments are hereby increased from $300,000,000 to $400,000,000."`,
      4,
    ),
    p(
      `(d) Schedule 2.01 to the Credit Agreement is hereby amended and restated in its entirety in the form of Schedule 2.01 attached hereto.`,
      4,
    ),
    p(
      `3. Conditions to Effectiveness. This Amendment shall become effective on the date (the "Amendment Effective Date") on which each of the following conditions is satisfied: (a) the Administrative Agent shall have received counterparts of this Amendment duly executed by the Borrower, the Administrative Agent and each Lender; (b) the Administrative Agent shall have received a certificate of a Responsible Officer of the Borrower certifying that the representations and warranties contained in Article V of the Credit Agreement are true and correct in all material respects on and as of the Amendment Effective Date; and (c) the Borrower shall have paid to the Administrative Agent, for the account of each Lender, an upfront fee in an amount equal to 0.15% of such Lender's Commitment after giving effect to this Amendment, payable on the Amendment Effective Date.`,
    ),
    p(
      `4. Representations and Warranties. The Borrower represents and warrants that (a) the execution, delivery and performance of this Amendment have been duly authorized by all necessary corporate action, (b) this Amendment constitutes the legal, valid and binding obligation of the Borrower, enforceable against it in accordance with its terms, and (c) no Default or Event of Default has occurred and is continuing.`,
    ),
    p(
      `5. Reference to and Effect on the Credit Agreement. On and after the Amendment Effective Date, each reference in the Credit Agreement to "this Agreement," "hereunder," "hereof" or words of like import shall mean and be a reference to the Credit Agreement as amended hereby. Except as specifically amended above, the Credit Agreement and all other Loan Documents shall remain in full force and effect and are hereby ratified and confirmed.`,
    ),
    p(
      `6. Governing Law. THIS AMENDMENT SHALL BE GOVERNED BY, AND CONSTRUED IN ACCORDANCE WITH, THE LAW OF THE STATE OF NEW YORK.`,
    ),
    p(
      `7. Counterparts. This Amendment may be executed in counterparts, each of which shall be deemed an original, but all of which together shall constitute one and the same instrument. Delivery of an executed counterpart of a signature page of this Amendment by facsimile or electronic transmission shall be effective as delivery of a manually executed counterpart of this Amendment.`,
    ),
    center('[Signature pages follow]'),
    pageBreak(),
    p(
      `IN WITNESS WHEREOF, the parties hereto have caused this Amendment to be duly executed as of the date first above written.`,
    ),
    pre(
      `GRANITE PEAK MATERIALS, INC.,\nas the Borrower\n\nBy: /s/ Daniel Reyes\nName: Daniel Reyes\nTitle: Chief Financial Officer\n\n\nU.S. BANK NATIONAL ASSOCIATION,\nas Administrative Agent and as a Lender\n\nBy: /s/ Karen Holt\nName: Karen Holt\nTitle: Senior Vice President`,
    ),
    pre('[Signature Page to Amendment No. 2]'),
    pageBreak(),
    pre(
      `COBANK, ACB,\nas a Lender\n\nBy: /s/ Peter Lund\nName: Peter Lund\nTitle: Vice President\n\n\nCOMERICA BANK,\nas a Lender\n\nBy: /s/ Alan Cho\nName: Alan Cho\nTitle: Vice President`,
    ),
    pre('[Signature Page to Amendment No. 2]'),
    pageBreak(),
    pre(
      `SCHEDULE 2.01\n\nCOMMITMENTS AND APPLICABLE PERCENTAGES\n\nLender                                   Commitment           Applicable Percentage\n\nU.S. Bank National Association           $160,000,000.00      40.000000000%\nCoBank, ACB                              $140,000,000.00      35.000000000%\nComerica Bank                            $100,000,000.00      25.000000000%\n\nTotal                                    $400,000,000.00      100.000000000%`,
    ),
  ];
  const text = layout(blocks, { linesPerPage: 50, footer: ['{n}'] });
  return {
    text,
    labels: {
      schema: 'credit_agreement',
      fields: {
        ...NULL_FIELDS,
        agreement_execution_date: '2024-09-30',
        borrower_names: ['GRANITE PEAK MATERIALS, INC.'],
        lender_parties: [
          { role: 'Administrative Agent', name: 'U.S. BANK NATIONAL ASSOCIATION' },
          { role: 'Lender', name: 'U.S. BANK NATIONAL ASSOCIATION' },
          { role: 'Lender', name: 'COBANK, ACB' },
          { role: 'Lender', name: 'COMERICA BANK' },
        ],
        total_commitment: { amount: '400000000.00', currency: 'USD' },
        interest_rate_details: {
          base_rate_options: ['Term SOFR', 'Base Rate'],
          applicable_margins: [
            { rate_option: 'Term SOFR', margin: '1.5%', tier: null },
            { rate_option: 'Base Rate', margin: '0.5%', tier: null },
          ],
          rate_floor: null,
          default_rate: null,
        },
        key_fees: [{ fee_type: 'Upfront Fee', fee_rate_or_amount: '0.15%', payment_frequency: null }],
        maturity_date_final: '2029-10-15',
        governing_law: 'New York',
      },
      booking_sheet: {
        maturity_date: '2029-10-15',
        total_loan_facility_amount: { amount: '400000000.00', currency: 'USD' },
        borrower_names: ['GRANITE PEAK MATERIALS, INC.'],
        agent: 'U.S. BANK NATIONAL ASSOCIATION',
        lender_type: 'bank',
        governing_law: 'New York',
      },
    },
  };
}

/** A term sheet: two-column labels, a relative maturity, no execution (it is not a contract). */
export function buildTermSheet(): { text: string; labels: Labels } {
  const rows: [string, string][] = [
    ['Borrower', 'Summit Ridge Healthcare, LLC, a Delaware limited liability company.'],
    [
      'Guarantors',
      'Each existing and subsequently acquired or organized direct or indirect wholly-owned domestic subsidiary of the Borrower.',
    ],
    ['Administrative Agent', 'Truist Bank.'],
    ['Lead Arranger', 'Truist Securities, Inc.'],
    [
      'Lenders',
      'A syndicate of banks, financial institutions and other entities arranged by the Lead Arranger and reasonably acceptable to the Borrower.',
    ],
    [
      'Facility',
      '$250,000,000 senior secured revolving credit facility, with a $25,000,000 sublimit for letters of credit and a $15,000,000 sublimit for swingline loans.',
    ],
    [
      'Purpose',
      'To refinance existing indebtedness, to finance permitted acquisitions and for working capital and general corporate purposes.',
    ],
    [
      'Closing Date',
      'The date on which the definitive credit documentation is executed and the conditions precedent are satisfied, which is expected to occur on or before June 30, 2025.',
    ],
    ['Maturity', 'The fifth anniversary of the Closing Date.'],
    [
      'Interest Rate',
      "At the Borrower's option, Term SOFR plus 2.25% or Base Rate plus 1.25%. Term SOFR shall be subject to a floor of 0.00%.",
    ],
    [
      'Commitment Fee',
      'A commitment fee of 0.35% per annum on the average daily unused portion of the Facility, payable quarterly in arrears.',
    ],
    [
      'Default Interest',
      'Upon the occurrence and during the continuance of an Event of Default, interest shall accrue at a rate of 2.00% per annum in excess of the rate otherwise applicable.',
    ],
    [
      'Security',
      'The Facility will be secured by a first priority perfected security interest in substantially all of the assets of the Borrower and the Guarantors.',
    ],
    [
      'Financial Covenants',
      'Maximum Consolidated Total Leverage Ratio of 4.00 to 1.00 and minimum Consolidated Interest Coverage Ratio of 3.00 to 1.00, each tested quarterly.',
    ],
    [
      'Conditions Precedent',
      'Customary for facilities of this type, including execution of definitive documentation, delivery of financial statements, legal opinions, officer certificates and payment of fees.',
    ],
    [
      'Assignments',
      'Minimum assignment of $5,000,000, subject to consent of the Administrative Agent and, absent an Event of Default, the Borrower.',
    ],
    ['Governing Law', 'New York.'],
  ];
  const lines: string[] = [];
  for (const [k, v] of rows) {
    const words = v.split(' ');
    let line = `${k}:`.padEnd(26);
    let first = true;
    for (const w of words) {
      if (line.length + w.length + 1 > 96) {
        lines.push(line);
        line = ' '.repeat(26);
        first = true;
      }
      line += (first ? '' : ' ') + w;
      first = false;
    }
    lines.push(line, '');
  }
  const blocks: Block[] = [
    center('CONFIDENTIAL'),
    center(
      'SUMMIT RIDGE HEALTHCARE, LLC\n$250,000,000 SENIOR SECURED REVOLVING CREDIT FACILITY\nSUMMARY OF PRINCIPAL TERMS AND CONDITIONS\nMarch 3, 2025',
    ),
    p(
      'This Summary of Principal Terms and Conditions is intended as an outline only and does not purport to summarize all the conditions, covenants, representations, warranties and other provisions which would be contained in definitive documentation for the Facility contemplated hereby.',
    ),
    pre(lines.join('\n')),
  ];
  const text = layout(blocks, { linesPerPage: 50, footer: ['Truist Confidential – Page {n}'] });
  return {
    text,
    labels: {
      schema: 'credit_agreement',
      fields: {
        ...NULL_FIELDS,
        borrower_names: ['Summit Ridge Healthcare, LLC'],
        lender_parties: [
          { role: 'Administrative Agent', name: 'Truist Bank' },
          { role: 'Lead Arranger', name: 'Truist Securities, Inc.' },
        ],
        total_commitment: { amount: '250000000.00', currency: 'USD' },
        facility_details: [
          {
            facility_type: 'Revolving Credit Facility',
            commitment_amount: { amount: '250000000.00', currency: 'USD' },
            maturity_date: null,
          },
          {
            facility_type: 'Letter of Credit Sublimit',
            commitment_amount: { amount: '25000000.00', currency: 'USD' },
            maturity_date: null,
          },
          {
            facility_type: 'Swing Line Sublimit',
            commitment_amount: { amount: '15000000.00', currency: 'USD' },
            maturity_date: null,
          },
        ],
        interest_rate_details: {
          base_rate_options: ['Term SOFR', 'Base Rate'],
          applicable_margins: [
            { rate_option: 'Term SOFR', margin: '2.25%', tier: null },
            { rate_option: 'Base Rate', margin: '1.25%', tier: null },
          ],
          rate_floor: '0%',
          default_rate: '2% per annum in excess of the rate otherwise applicable',
        },
        key_fees: [
          {
            fee_type: 'Commitment Fee',
            fee_rate_or_amount: '0.35% per annum',
            payment_frequency: 'quarterly in arrears',
          },
        ],
        maturity_date_rule: 'The fifth anniversary of the Closing Date',
        governing_law: 'New York',
      },
      booking_sheet: {
        total_loan_facility_amount: { amount: '250000000.00', currency: 'USD' },
        borrower_names: ['Summit Ridge Healthcare, LLC'],
        agent: 'Truist Bank',
        governing_law: 'New York',
        is_revolving_facility: true,
        maturity_date: null,
      },
    },
  };
}

/** A bilateral promissory note: Prime-based, fixed maturity, Texas law, lender described as a bank. */
export function buildNote(): { text: string; labels: Labels } {
  const blocks: Block[] = [
    center('PROMISSORY NOTE'),
    pre(
      `$7,500,000.00                                                                 Houston, Texas\nDate: April 1, 2024`,
    ),
    p(
      `FOR VALUE RECEIVED, the undersigned, PINECREST LOGISTICS, L.P., a Texas limited partnership ("Borrower"), hereby promises to pay to the order of FIRST LONE STAR BANK, N.A., a national banking association (together with its successors and assigns, "Lender"), at its offices at 700 Louisiana Street, Houston, Texas 77002, or at such other place as the holder hereof may designate in writing, the principal sum of SEVEN MILLION FIVE HUNDRED THOUSAND AND NO/100 DOLLARS ($7,500,000.00), or so much thereof as may be advanced and outstanding hereunder, together with interest on the unpaid principal balance as provided herein.`,
    ),
    p(
      `1. Interest Rate. The unpaid principal balance of this Note shall bear interest at a rate per annum equal to the Prime Rate plus 0.50%, adjusted as of the date of each change in the Prime Rate. "Prime Rate" means the rate of interest published from time to time by The Wall Street Journal as the "prime rate"; provided that if the Prime Rate shall be less than 3.00%, such rate shall be deemed to be 3.00% for purposes of this Note. Interest shall be computed on the basis of a 360-day year and the actual number of days elapsed.`,
    ),
    p(
      `2. Payments. Accrued interest shall be due and payable monthly, commencing on May 1, 2024, and continuing on the first day of each calendar month thereafter. Principal shall be payable in consecutive monthly installments of $62,500.00 each, commencing on May 1, 2024. The entire unpaid principal balance of this Note, together with all accrued and unpaid interest, shall be due and payable on April 1, 2031 (the "Maturity Date").`,
    ),
    p(
      `3. Prepayment. Borrower may prepay this Note in whole or in part at any time without premium or penalty. Partial prepayments shall be applied to installments of principal in the inverse order of their maturity.`,
    ),
    p(
      `4. Late Charge. If any payment required hereunder is not received by Lender within ten (10) days after the date due, Borrower shall pay a late charge equal to 5.00% of the amount of such payment.`,
    ),
    p(
      `5. Default Rate. Upon the occurrence and during the continuance of an Event of Default, the unpaid principal balance of this Note shall bear interest at a rate per annum equal to 4.00% in excess of the rate otherwise applicable hereunder, but in no event in excess of the maximum rate permitted by applicable law.`,
    ),
    p(
      `6. Events of Default. Each of the following shall constitute an "Event of Default" hereunder: (a) Borrower fails to pay any amount due hereunder within ten (10) days after the date when due; (b) Borrower breaches any covenant contained in the Loan Agreement dated as of April 1, 2024 between Borrower and Lender; (c) Borrower becomes insolvent or makes an assignment for the benefit of creditors; or (d) any representation or warranty made by Borrower to Lender proves to have been false in any material respect when made.`,
    ),
    p(
      `7. Security. This Note is secured by a first priority security interest in all of the equipment, inventory and accounts of Borrower pursuant to the Security Agreement dated as of even date herewith.`,
    ),
    p(
      `8. Governing Law. This Note shall be governed by and construed in accordance with the laws of the State of Texas and the applicable laws of the United States of America.`,
    ),
    p(
      `9. Waivers. Borrower and all sureties, endorsers and guarantors of this Note waive demand, presentment for payment, notice of dishonor, protest, notice of protest, notice of intent to accelerate and notice of acceleration, and all other notices in connection with the delivery, acceptance, performance, default or enforcement of this Note.`,
    ),
    p(`IN WITNESS WHEREOF, Borrower has duly executed this Note as of the date first written above.`),
    pre(
      `PINECREST LOGISTICS, L.P.,\na Texas limited partnership\n\nBy: Pinecrest GP, LLC, its general partner\n\nBy: /s/ Thomas Avery\nName: Thomas Avery\nTitle: Manager`,
    ),
  ];
  const text = layout(blocks, { linesPerPage: 50, footer: ['Promissory Note – Page {n}'] });
  return {
    text,
    labels: {
      schema: 'credit_agreement',
      fields: {
        ...NULL_FIELDS,
        agreement_execution_date: '2024-04-01',
        borrower_names: ['PINECREST LOGISTICS, L.P.'],
        lender_parties: [{ role: 'Lender', name: 'FIRST LONE STAR BANK, N.A.' }],
        total_commitment: { amount: '7500000.00', currency: 'USD' },
        interest_rate_details: {
          base_rate_options: ['Prime Rate'],
          applicable_margins: [{ rate_option: 'Prime Rate', margin: '0.5%', tier: null }],
          rate_floor: '3%',
          default_rate: '4% per annum in excess of the rate otherwise applicable',
        },
        key_fees: [{ fee_type: 'Late Charge', fee_rate_or_amount: '5%', payment_frequency: null }],
        maturity_date_final: '2031-04-01',
        governing_law: 'Texas',
      },
      booking_sheet: {
        maturity_date: '2031-04-01',
        total_loan_facility_amount: { amount: '7500000.00', currency: 'USD' },
        borrower_names: ['PINECREST LOGISTICS, L.P.'],
        lender_type: 'bank',
        governing_law: 'Texas',
        accrual_basis: 'Actual/360',
        prepayment_penalty: false,
      },
    },
  };
}

/**
 * An unexecuted bilateral loan agreement form in which most terms are ABSENT: blank date, no
 * governing-law clause, no Business Day definition, no fees, no financial covenants, and a maturity
 * relative to a closing date that the document never fixes. Every such label is null.
 */
export function buildSparseAgreement(): { text: string; labels: Labels } {
  const terms = {
    borrower: 'Borrower',
    agent: 'Lender',
    q: ['"', '"'] as [string, string],
    loanParties: 'Loan Party',
    threshold: '$5,000,000',
  };
  const blocks: Block[] = [
    center('LOAN AGREEMENT'),
    p(
      `This LOAN AGREEMENT (this "Agreement") is made as of ____________, 2025, by and between COBALT RIVER FARMS LLC, an Iowa limited liability company (the "Borrower"), and HEARTLAND FARM CREDIT, a federally chartered instrumentality (the "Lender").`,
    ),
    center('RECITALS'),
    p(
      `The Borrower has requested that the Lender make a term loan to the Borrower, the proceeds of which will be used to acquire irrigation equipment and grain storage facilities, and the Lender is willing to make such loan on the terms and conditions set forth herein.`,
    ),
    center('ARTICLE I\nDEFINITIONS'),
    p(
      `Section 1.1 Definitions. As used in this Agreement, the following terms shall have the following meanings:`,
    ),
    p(`"Closing Date" means the date on which the conditions set forth in Article IV have been satisfied.`),
    p(`"Event of Default" has the meaning set forth in Section 7.1.`),
    p(`"Loan" means the term loan made by the Lender to the Borrower pursuant to Section 2.1.`),
    p(
      `"Loan Documents" means this Agreement, the Note, the Security Agreement and each other document executed in connection herewith.`,
    ),
    p(`"Maturity Date" means the date that is seven (7) years after the Closing Date.`),
    p(`"Note" means the promissory note of the Borrower in the form of Exhibit A.`),
    p(
      `"Security Agreement" means the security agreement between the Borrower and the Lender covering the Borrower's equipment and farm products.`,
    ),
    center('ARTICLE II\nTHE LOAN'),
    p(
      `Section 2.1 The Loan. Subject to the terms and conditions hereof, the Lender agrees to make a single term loan to the Borrower on the Closing Date in the principal amount set forth in the Note. Amounts repaid may not be reborrowed.`,
    ),
    p(
      `Section 2.2 Interest. The Loan shall bear interest at the rate set forth in the Note. Interest shall be payable as provided in the Note.`,
    ),
    p(
      `Section 2.3 Repayment. The Borrower shall repay the Loan in installments as set forth in the Note, with the remaining balance due on the Maturity Date.`,
    ),
    center('ARTICLE III\nREPRESENTATIONS AND WARRANTIES'),
    ...representations(terms)
      .slice(0, 6)
      .map(([h, b], i) => p(`Section 3.${i + 1} ${h}. ${b}`)),
    center('ARTICLE IV\nCONDITIONS PRECEDENT'),
    p(
      `Section 4.1 Conditions. The obligation of the Lender to make the Loan is subject to the receipt by the Lender of the Note, the Security Agreement, evidence of insurance, and such other documents as the Lender may reasonably request.`,
    ),
    center('ARTICLE V\nCOVENANTS'),
    ...affirmativeCovenants(terms)
      .slice(0, 5)
      .map(([h, b], i) => p(`Section 5.${i + 1} ${h}. ${b}`)),
    center('ARTICLE VII\nEVENTS OF DEFAULT'),
    p(
      `Section 7.1 Events of Default. If the Borrower fails to pay any amount due under the Loan Documents within ten days after the date due, or fails to perform any other covenant herein for thirty days after notice, or becomes the subject of any bankruptcy proceeding, the Lender may declare the Loan immediately due and payable.`,
    ),
    center('ARTICLE VIII\nMISCELLANEOUS'),
    p(
      `Section 8.1 Notices. All notices shall be in writing and delivered to the addresses set forth below the signatures hereto.`,
    ),
    p(
      `Section 8.2 Counterparts. This Agreement may be executed in counterparts, each of which shall be an original and all of which together shall constitute one agreement.`,
    ),
    pageBreak(),
    p(`IN WITNESS WHEREOF, the parties have executed this Agreement as of the date first written above.`),
    pre(
      `COBALT RIVER FARMS LLC,\nas Borrower\n\nBy: ______________________\nName:\nTitle:\n\n\nHEARTLAND FARM CREDIT,\nas Lender\n\nBy: ______________________\nName:\nTitle:`,
    ),
  ];
  const text = layout(blocks, { linesPerPage: 50, footer: ['{n}'] });
  return {
    text,
    labels: {
      schema: 'credit_agreement',
      fields: {
        ...NULL_FIELDS,
        borrower_names: ['COBALT RIVER FARMS LLC'],
        lender_parties: [{ role: 'Lender', name: 'HEARTLAND FARM CREDIT' }],
        maturity_date_rule: 'the date that is seven (7) years after the Closing Date',
      },
      booking_sheet: {
        borrower_names: ['COBALT RIVER FARMS LLC'],
        maturity_date: null,
        total_loan_facility_amount: null,
        governing_law: null,
        is_revolving_facility: false,
        lender_type: null,
      },
    },
  };
}
