/**
 * Boilerplate of the kind every filed credit agreement carries: general defined terms,
 * representations, covenants, agency and miscellaneous provisions. Written for this corpus in the
 * style of public SEC exhibits; it gives the extractors the noise they meet in real documents
 * (amounts in baskets, ratios in incurrence tests, dates of other agreements, other governing laws).
 */

export interface Terms {
  borrower: string; // defined term for the borrower, e.g. "Borrower"
  agent: string; // "Administrative Agent" or "Agent"
  q: [string, string]; // quote style
  loanParties: string;
  threshold: string; // e.g. "$75,000,000"
}

export function generalDefinitions(t: Terms): [string, string][] {
  const [o, c] = t.q;
  const B = `the ${t.borrower}`;
  const A = `the ${t.agent}`;
  return [
    [
      'Affiliate',
      `means, with respect to a specified Person, another Person that directly, or indirectly through one or more intermediaries, Controls or is Controlled by or is under common Control with the Person specified.`,
    ],
    ['Agent Parties', `has the meaning specified in Section 10.02(c).`],
    [
      'Agreement',
      `means this Agreement, including all schedules and exhibits hereto, as amended, restated, amended and restated, supplemented or otherwise modified from time to time.`,
    ],
    [
      'Anti-Corruption Laws',
      `means all laws, rules, and regulations of any jurisdiction applicable to ${B} or its Subsidiaries from time to time concerning or relating to bribery or corruption, including the United States Foreign Corrupt Practices Act of 1977, as amended, and the UK Bribery Act 2010.`,
    ],
    [
      'Approved Fund',
      `means any Fund that is administered or managed by (a) a Lender, (b) an Affiliate of a Lender or (c) an entity or an Affiliate of an entity that administers or manages a Lender.`,
    ],
    [
      'Assignment and Assumption',
      `means an assignment and assumption entered into by a Lender and an Eligible Assignee (with the consent of any party whose consent is required by Section 10.06(b)), and accepted by ${A}, in substantially the form of Exhibit D or any other form approved by ${A}.`,
    ],
    [
      'Attributable Indebtedness',
      `means, on any date, (a) in respect of any Capitalized Lease of any Person, the capitalized amount thereof that would appear on a balance sheet of such Person prepared as of such date in accordance with GAAP, and (b) in respect of any Synthetic Lease Obligation, the capitalized amount of the remaining lease or similar payments under the relevant lease or other applicable agreement or instrument that would appear on a balance sheet of such Person prepared as of such date in accordance with GAAP if such lease or other agreement or instrument were accounted for as a Capitalized Lease.`,
    ],
    [
      'Audited Financial Statements',
      `means the audited consolidated balance sheet of ${B} and its Subsidiaries for the fiscal year ended December 31, 2022, and the related consolidated statements of income or operations, shareholders${o === '“' ? '’' : "'"} equity and cash flows for such fiscal year of ${B} and its Subsidiaries, including the notes thereto.`,
    ],
    [
      'Bail-In Action',
      `means the exercise of any Write-Down and Conversion Powers by the applicable Resolution Authority in respect of any liability of an Affected Financial Institution.`,
    ],
    [
      'Beneficial Ownership Certification',
      `means a certification regarding beneficial ownership required by the Beneficial Ownership Regulation.`,
    ],
    [
      'Borrowing',
      `means a Committed Borrowing, a Swing Line Borrowing or a Term Borrowing, as the context may require.`,
    ],
    [
      'Capitalized Leases',
      `means all leases that have been or should be, in accordance with GAAP, recorded as capitalized leases; provided that for all purposes hereunder the amount of obligations under any Capitalized Lease shall be the amount thereof accounted for as a liability in accordance with GAAP.`,
    ],
    [
      'Cash Equivalents',
      `means (a) securities issued or fully guaranteed or insured by the United States government or any agency thereof having maturities of not more than twelve months from the date of acquisition, (b) certificates of deposit, time deposits and eurodollar time deposits with maturities of twelve months or less from the date of acquisition issued by any commercial bank having capital and surplus of not less than $500,000,000, (c) commercial paper rated at least A-1 by S&P or P-1 by Moody${o === '“' ? '’' : "'"}s and maturing within six months after the date of acquisition, and (d) money market funds substantially all of the assets of which are invested in assets of the type described in clauses (a) through (c) above.`,
    ],
    [
      'Change in Law',
      `means the occurrence, after the date of this Agreement, of any of the following: (a) the adoption or taking effect of any law, rule, regulation or treaty, (b) any change in any law, rule, regulation or treaty or in the administration, interpretation, implementation or application thereof by any Governmental Authority or (c) the making or issuance of any request, rule, guideline or directive (whether or not having the force of law) by any Governmental Authority; provided that notwithstanding anything herein to the contrary, (x) the Dodd-Frank Wall Street Reform and Consumer Protection Act and all requests, rules, guidelines or directives thereunder or issued in connection therewith and (y) all requests, rules, guidelines or directives promulgated by the Bank for International Settlements, the Basel Committee on Banking Supervision (or any successor or similar authority) or the United States or foreign regulatory authorities, in each case pursuant to Basel III, shall in each case be deemed to be a ${o}Change in Law${c}, regardless of the date enacted, adopted or issued.`,
    ],
    [
      'Change of Control',
      `means an event or series of events by which (a) any ${o}person${c} or ${o}group${c} (as such terms are used in Sections 13(d) and 14(d) of the Securities Exchange Act of 1934) becomes the ${o}beneficial owner${c} of 35% or more of the equity securities of ${B} entitled to vote for members of the board of directors of ${B}, or (b) during any period of twelve consecutive months, a majority of the members of the board of directors of ${B} cease to be composed of individuals who were members of that board on the first day of such period.`,
    ],
    ['Code', `means the Internal Revenue Code of 1986, as amended.`],
    ['Compliance Certificate', `means a certificate substantially in the form of Exhibit C.`],
    [
      'Consolidated EBITDA',
      `means, for any period, for ${B} and its Subsidiaries on a consolidated basis, an amount equal to Consolidated Net Income for such period plus (a) the following to the extent deducted in calculating such Consolidated Net Income: (i) Consolidated Interest Charges for such period, (ii) the provision for federal, state, local and foreign income taxes payable by ${B} and its Subsidiaries for such period, (iii) depreciation and amortization expense, (iv) non-cash charges and losses (excluding any such non-cash charges or losses to the extent representing an accrual of or reserve for cash charges or losses in any future period), and (v) fees, costs and expenses incurred in connection with any Permitted Acquisition in an aggregate amount not to exceed 10% of Consolidated EBITDA for such period, and minus (b) the following to the extent included in calculating such Consolidated Net Income: (i) federal, state, local and foreign income tax credits and (ii) all non-cash items increasing Consolidated Net Income for such period.`,
    ],
    [
      'Consolidated Funded Indebtedness',
      `means, as of any date of determination, for ${B} and its Subsidiaries on a consolidated basis, the sum of (a) the outstanding principal amount of all obligations, whether current or long-term, for borrowed money and all obligations evidenced by bonds, debentures, notes, loan agreements or other similar instruments, (b) all purchase money Indebtedness, (c) all direct obligations arising under letters of credit (including standby and commercial), bankers${o === '“' ? '’' : "'"} acceptances, bank guaranties, surety bonds and similar instruments, (d) all obligations in respect of the deferred purchase price of property or services, (e) all Attributable Indebtedness, and (f) all Guarantees with respect to outstanding Indebtedness of the types specified in clauses (a) through (e) above of Persons other than ${B} or any Subsidiary.`,
    ],
    [
      'Consolidated Interest Charges',
      `means, for any Measurement Period, the sum of (a) all interest, premium payments, debt discount, fees, charges and related expenses in connection with borrowed money (including capitalized interest) or in connection with the deferred purchase price of assets, in each case to the extent treated as interest in accordance with GAAP, and (b) the portion of rent expense under Capitalized Leases that is treated as interest in accordance with GAAP, in each case, of or by ${B} and its Subsidiaries on a consolidated basis for the most recently completed Measurement Period.`,
    ],
    [
      'Consolidated Interest Coverage Ratio',
      `means, as of any date of determination, the ratio of (a) Consolidated EBITDA for the period of the four prior fiscal quarters ending on such date to (b) Consolidated Interest Charges paid or payable in cash for such period.`,
    ],
    [
      'Consolidated Leverage Ratio',
      `means, as of any date of determination, the ratio of (a) Consolidated Funded Indebtedness as of such date to (b) Consolidated EBITDA for the period of the four fiscal quarters most recently ended.`,
    ],
    [
      'Consolidated Net Income',
      `means, for any period, for ${B} and its Subsidiaries on a consolidated basis, the net income of ${B} and its Subsidiaries (excluding extraordinary gains and extraordinary losses) for that period.`,
    ],
    [
      'Control',
      `means the possession, directly or indirectly, of the power to direct or cause the direction of the management or policies of a Person, whether through the ability to exercise voting power, by contract or otherwise. ${o}Controlling${c} and ${o}Controlled${c} have meanings correlative thereto.`,
    ],
    [
      'Debtor Relief Laws',
      `means the Bankruptcy Code of the United States, and all other liquidation, conservatorship, bankruptcy, assignment for the benefit of creditors, moratorium, rearrangement, receivership, insolvency, reorganization, or similar debtor relief Laws of the United States or other applicable jurisdictions from time to time in effect.`,
    ],
    [
      'Default',
      `means any event or condition that constitutes an Event of Default or that, with the giving of any notice, the passage of time, or both, would be an Event of Default.`,
    ],
    [
      'Defaulting Lender',
      `means, subject to Section 2.17(b), any Lender that (a) has failed to (i) fund all or any portion of its Loans within two Business Days of the date such Loans were required to be funded hereunder unless such Lender notifies ${A} and ${B} in writing that such failure is the result of such Lender${o === '“' ? '’' : "'"}s determination that one or more conditions precedent to funding has not been satisfied, or (ii) pay to ${A}, any L/C Issuer, any Swing Line Lender or any other Lender any other amount required to be paid by it hereunder within two Business Days of the date when due, (b) has notified ${B}, ${A} or any L/C Issuer in writing that it does not intend to comply with its funding obligations hereunder, or (c) has become the subject of a Bankruptcy Event or a Bail-In Action.`,
    ],
    ['Dollar', `and ${o}$${c} mean lawful money of the United States.`],
    [
      'Eligible Assignee',
      `means any Person that meets the requirements to be an assignee under Section 10.06(b)(iii), (v) and (vi) (subject to such consents, if any, as may be required under Section 10.06(b)(iii)).`,
    ],
    [
      'Environmental Laws',
      `means any and all Federal, state, local, and foreign statutes, laws, regulations, ordinances, rules, judgments, orders, decrees, permits, concessions, grants, franchises, licenses, agreements or governmental restrictions relating to pollution and the protection of the environment or the release of any materials into the environment, including those related to hazardous substances or wastes, air emissions and discharges to waste or public systems.`,
    ],
    ['ERISA', `means the Employee Retirement Income Security Act of 1974.`],
    [
      'Excluded Taxes',
      `means any of the following Taxes imposed on or with respect to a Recipient or required to be withheld or deducted from a payment to a Recipient, (a) Taxes imposed on or measured by net income (however denominated), franchise Taxes, and branch profits Taxes, (b) U.S. federal withholding Taxes imposed on amounts payable to or for the account of such Lender pursuant to a law in effect on the date on which such Lender acquires such interest in the Loan or Commitment, (c) Taxes attributable to such Recipient${o === '“' ? '’' : "'"}s failure to comply with Section 3.01(e) and (d) any U.S. federal withholding Taxes imposed pursuant to FATCA.`,
    ],
    [
      'FATCA',
      `means Sections 1471 through 1474 of the Code, as of the date of this Agreement (or any amended or successor version that is substantively comparable and not materially more onerous to comply with), any current or future regulations or official interpretations thereof and any agreements entered into pursuant to Section 1471(b)(1) of the Code.`,
    ],
    [
      'Federal Funds Rate',
      `means, for any day, the rate per annum calculated by the Federal Reserve Bank of New York based on such day${o === '“' ? '’' : "'"}s federal funds transactions by depository institutions, as determined in such manner as the Federal Reserve Bank of New York shall set forth on its public website from time to time, and published on the next succeeding Business Day by the Federal Reserve Bank of New York as the federal funds effective rate; provided that if the Federal Funds Rate as so determined would be less than zero, such rate shall be deemed to be zero for purposes of this Agreement.`,
    ],
    [
      'Fee Letter',
      `means the letter agreement, dated February 20, 2024, among ${B}, ${A} and the Arrangers.`,
    ],
    [
      'GAAP',
      `means generally accepted accounting principles in the United States set forth in the opinions and pronouncements of the Accounting Principles Board and the American Institute of Certified Public Accountants and statements and pronouncements of the Financial Accounting Standards Board, that are applicable to the circumstances as of the date of determination, consistently applied.`,
    ],
    [
      'Governmental Authority',
      `means the government of the United States or any other nation, or of any political subdivision thereof, whether state or local, and any agency, authority, instrumentality, regulatory body, court, central bank or other entity exercising executive, legislative, judicial, taxing, regulatory or administrative powers or functions of or pertaining to government (including any supra-national bodies such as the European Union or the European Central Bank).`,
    ],
    [
      'Guarantee',
      `means, as to any Person, any obligation, contingent or otherwise, of such Person guaranteeing or having the economic effect of guaranteeing any Indebtedness or other obligation payable or performable by another Person (the ${o}primary obligor${c}) in any manner, whether directly or indirectly; provided that the term ${o}Guarantee${c} shall not include endorsements for collection or deposit in the ordinary course of business.`,
    ],
    [
      'Indebtedness',
      `means, as to any Person at a particular time, without duplication, all of the following, whether or not included as indebtedness or liabilities in accordance with GAAP: (a) all obligations of such Person for borrowed money and all obligations of such Person evidenced by bonds, debentures, notes, loan agreements or other similar instruments; (b) all direct or contingent obligations of such Person arising under letters of credit, bankers${o === '“' ? '’' : "'"} acceptances, bank guaranties, surety bonds and similar instruments; (c) net obligations of such Person under any Swap Contract; (d) all obligations of such Person to pay the deferred purchase price of property or services (other than trade accounts payable in the ordinary course of business and not past due for more than 90 days after the date on which such trade account was created); (e) all Attributable Indebtedness in respect of Capitalized Leases and Synthetic Lease Obligations of such Person; and (f) all Guarantees of such Person in respect of any of the foregoing.`,
    ],
    [
      'Indemnified Taxes',
      `means (a) Taxes, other than Excluded Taxes, imposed on or with respect to any payment made by or on account of any obligation of any ${t.loanParties} under any Loan Document and (b) to the extent not otherwise described in (a), Other Taxes.`,
    ],
    [
      'Interest Payment Date',
      `means, (a) as to any Loan other than a Base Rate Loan, the last day of each Interest Period applicable to such Loan and the Maturity Date; provided, however, that if any Interest Period for such a Loan exceeds three months, the respective dates that fall every three months after the beginning of such Interest Period shall also be Interest Payment Dates; and (b) as to any Base Rate Loan or Swing Line Loan, the last Business Day of each March, June, September and December and the Maturity Date.`,
    ],
    [
      'Interest Period',
      `means, as to each Term SOFR Loan, the period commencing on the date such Term SOFR Loan is disbursed or converted to or continued as a Term SOFR Loan and ending on the date one, three or six months thereafter (in each case, subject to availability), as selected by ${B} in its Committed Loan Notice.`,
    ],
    [
      'Laws',
      `means, collectively, all international, foreign, Federal, state and local statutes, treaties, rules, guidelines, regulations, ordinances, codes and administrative or judicial precedents or authorities, including the interpretation or administration thereof by any Governmental Authority charged with the enforcement, interpretation or administration thereof.`,
    ],
    [
      'Lien',
      `means any mortgage, pledge, hypothecation, assignment, deposit arrangement, encumbrance, lien (statutory or other), charge, or preference, priority or other security interest or preferential arrangement in the nature of a security interest of any kind or nature whatsoever (including any conditional sale or other title retention agreement, and any financing lease having substantially the same economic effect as any of the foregoing).`,
    ],
    [
      'Loan Documents',
      `means this Agreement, each Note, each Issuer Document, the Fee Letter and any agreement creating or perfecting rights in Cash Collateral pursuant to the provisions of Section 2.16 of this Agreement.`,
    ],
    [
      'Material Adverse Effect',
      `means (a) a material adverse change in, or a material adverse effect upon, the operations, business, properties, liabilities (actual or contingent) or condition (financial or otherwise) of ${B} and its Subsidiaries taken as a whole; (b) a material impairment of the rights and remedies of ${A} or any Lender under any Loan Document, or of the ability of any ${t.loanParties} to perform its obligations under any Loan Document to which it is a party; or (c) a material adverse effect upon the legality, validity, binding effect or enforceability against any ${t.loanParties} of any Loan Document to which it is a party.`,
    ],
    [
      'Measurement Period',
      `means, at any date of determination, the most recently completed four fiscal quarters of ${B}.`,
    ],
    [
      'Obligations',
      `means all advances to, and debts, liabilities, obligations, covenants and duties of, any ${t.loanParties} arising under any Loan Document or otherwise with respect to any Loan or Letter of Credit, whether direct or indirect (including those acquired by assumption), absolute or contingent, due or to become due, now existing or hereafter arising and including interest and fees that accrue after the commencement by or against any ${t.loanParties} of any proceeding under any Debtor Relief Laws.`,
    ],
    [
      'Person',
      `means any natural person, corporation, limited liability company, trust, joint venture, association, company, partnership, Governmental Authority or other entity.`,
    ],
    [
      'Prime Rate',
      `means the rate of interest last quoted by The Wall Street Journal as the ${o}Prime Rate${c} in the U.S. or, if The Wall Street Journal ceases to quote such rate, the highest per annum interest rate published by the Federal Reserve Board in Federal Reserve Statistical Release H.15 (519) (Selected Interest Rates) as the ${o}bank prime loan${c} rate.`,
    ],
    [
      'Required Lenders',
      `means, as of any date of determination, Lenders having more than 50% of the Aggregate Commitments or, if the commitment of each Lender to make Loans has been terminated, Lenders holding in the aggregate more than 50% of the Total Outstandings; provided that the Commitment of, and the portion of the Total Outstandings held or deemed held by, any Defaulting Lender shall be excluded for purposes of making a determination of Required Lenders.`,
    ],
    [
      'Responsible Officer',
      `means the chief executive officer, president, chief financial officer, treasurer, assistant treasurer or controller of a ${t.loanParties}, and, solely for purposes of notices given pursuant to Article II, any other officer or employee of the applicable ${t.loanParties} so designated by any of the foregoing officers in a notice to ${A}.`,
    ],
    [
      'Sanction(s)',
      `means any sanction administered or enforced by the United States Government (including without limitation, OFAC), the United Nations Security Council, the European Union, His Majesty${o === '“' ? '’' : "'"}s Treasury or other relevant sanctions authority.`,
    ],
    [
      'SOFR',
      `means the Secured Overnight Financing Rate as administered by the Federal Reserve Bank of New York (or a successor administrator of the secured overnight financing rate).`,
    ],
    [
      'Subsidiary',
      `of a Person means a corporation, partnership, joint venture, limited liability company or other business entity of which a majority of the shares of securities or other interests having ordinary voting power for the election of directors or other governing body are at the time beneficially owned, or the management of which is otherwise controlled, directly, or indirectly through one or more intermediaries, or both, by such Person.`,
    ],
    [
      'Swap Contract',
      `means (a) any and all rate swap transactions, basis swaps, credit derivative transactions, forward rate transactions, commodity swaps, commodity options, forward commodity contracts, equity or equity index swaps or options, bond or bond price or bond index swaps or options or forward bond or forward bond price or forward bond index transactions, interest rate options, forward foreign exchange transactions, cap transactions, floor transactions, collar transactions, currency swap transactions, cross-currency rate swap transactions, currency options, spot contracts, or any other similar transactions or any combination of any of the foregoing, and (b) any and all transactions of any kind that are subject to the terms and conditions of any form of master agreement published by the International Swaps and Derivatives Association, Inc.`,
    ],
    [
      'Taxes',
      `means all present or future taxes, levies, imposts, duties, deductions, withholdings (including backup withholding), assessments, fees or other charges imposed by any Governmental Authority, including any interest, additions to tax or penalties applicable thereto.`,
    ],
    ['Threshold Amount', `means ${t.threshold}.`],
    ['Total Outstandings', `means the aggregate Outstanding Amount of all Loans and all L/C Obligations.`],
    ['United States', `and ${o}U.S.${c} mean the United States of America.`],
    [
      'Wholly Owned Subsidiary',
      `means any Person 100% of whose Equity Interests are at the relevant time owned by ${B} directly or indirectly through other Persons 100% of whose Equity Interests are at the relevant time owned, directly or indirectly, by ${B}.`,
    ],
  ];
}

export function representations(t: Terms): [string, string][] {
  const B = `the ${t.borrower}`;
  return [
    [
      'Existence, Qualification and Power',
      `Each ${t.loanParties} and each Subsidiary thereof (a) is duly organized or formed, validly existing and, as applicable, in good standing under the Laws of the jurisdiction of its incorporation or organization, (b) has all requisite power and authority and all requisite governmental licenses, authorizations, consents and approvals to (i) own or lease its assets and carry on its business and (ii) execute, deliver and perform its obligations under the Loan Documents to which it is a party, and (c) is duly qualified and is licensed and, as applicable, in good standing under the Laws of each jurisdiction where its ownership, lease or operation of properties or the conduct of its business requires such qualification or license; except in each case referred to in clause (b)(i) or (c), to the extent that failure to do so could not reasonably be expected to have a Material Adverse Effect.`,
    ],
    [
      'Authorization; No Contravention',
      `The execution, delivery and performance by each ${t.loanParties} of each Loan Document to which such Person is party have been duly authorized by all necessary corporate or other organizational action, and do not and will not (a) contravene the terms of any of such Person's Organization Documents; (b) conflict with or result in any breach or contravention of, or the creation of any Lien under, or require any payment to be made under (i) any Contractual Obligation to which such Person is a party or affecting such Person or the properties of such Person or any of its Subsidiaries or (ii) any order, injunction, writ or decree of any Governmental Authority or any arbitral award to which such Person or its property is subject; or (c) violate any Law.`,
    ],
    [
      'Governmental Authorization; Other Consents',
      `No approval, consent, exemption, authorization, or other action by, or notice to, or filing with, any Governmental Authority or any other Person is necessary or required in connection with the execution, delivery or performance by, or enforcement against, any ${t.loanParties} of this Agreement or any other Loan Document, other than those that have been obtained and are in full force and effect.`,
    ],
    [
      'Binding Effect',
      `This Agreement has been, and each other Loan Document, when delivered hereunder, will have been, duly executed and delivered by each ${t.loanParties} that is party thereto. This Agreement constitutes, and each other Loan Document when so delivered will constitute, a legal, valid and binding obligation of such ${t.loanParties}, enforceable against each ${t.loanParties} that is party thereto in accordance with its terms, except as enforceability may be limited by applicable Debtor Relief Laws and by general principles of equity.`,
    ],
    [
      'Financial Statements; No Material Adverse Effect',
      `(a) The Audited Financial Statements (i) were prepared in accordance with GAAP consistently applied throughout the period covered thereby, except as otherwise expressly noted therein; and (ii) fairly present the financial condition of ${B} and its Subsidiaries as of the date thereof and their results of operations for the period covered thereby in accordance with GAAP consistently applied throughout the period covered thereby. (b) Since the date of the Audited Financial Statements, there has been no event or circumstance, either individually or in the aggregate, that has had or could reasonably be expected to have a Material Adverse Effect.`,
    ],
    [
      'Litigation',
      `There are no actions, suits, proceedings, claims or disputes pending or, to the knowledge of ${B} after due and diligent investigation, threatened or contemplated, at law, in equity, in arbitration or before any Governmental Authority, by or against ${B} or any of its Subsidiaries or against any of their properties or revenues that (a) purport to affect or pertain to this Agreement or any other Loan Document, or any of the transactions contemplated hereby, or (b) either individually or in the aggregate could reasonably be expected to have a Material Adverse Effect.`,
    ],
    [
      'No Default',
      `Neither ${B} nor any Subsidiary is in default under or with respect to any Contractual Obligation that could, either individually or in the aggregate, reasonably be expected to have a Material Adverse Effect. No Default has occurred and is continuing or would result from the consummation of the transactions contemplated by this Agreement or any other Loan Document.`,
    ],
    [
      'Ownership of Property',
      `Each of ${B} and each Subsidiary has good record and marketable title in fee simple to, or valid leasehold interests in, all real property necessary or used in the ordinary conduct of its business, except for such defects in title as could not, individually or in the aggregate, reasonably be expected to have a Material Adverse Effect.`,
    ],
    [
      'Environmental Compliance',
      `${B} and its Subsidiaries conduct in the ordinary course of business a review of the effect of existing Environmental Laws and claims alleging potential liability or responsibility for violation of any Environmental Law on their respective businesses, operations and properties, and as a result thereof ${B} has reasonably concluded that such Environmental Laws and claims could not, individually or in the aggregate, reasonably be expected to have a Material Adverse Effect.`,
    ],
    [
      'Insurance',
      `The properties of ${B} and its Subsidiaries are insured with financially sound and reputable insurance companies not Affiliates of ${B}, in such amounts (after giving effect to any self-insurance compatible with the following standards), with such deductibles and covering such risks as are customarily carried by companies engaged in similar businesses and owning similar properties in localities where ${B} or the applicable Subsidiary operates.`,
    ],
    [
      'Taxes',
      `${B} and its Subsidiaries have filed all Federal, state and other material tax returns and reports required to be filed, and have paid all Federal, state and other material taxes, assessments, fees and other governmental charges levied or imposed upon them or their properties, income or assets otherwise due and payable, except those which are being contested in good faith by appropriate proceedings diligently conducted and for which adequate reserves have been provided in accordance with GAAP.`,
    ],
    [
      'ERISA Compliance',
      `Each Plan is in compliance in all material respects with the applicable provisions of ERISA, the Code and other Federal or state Laws. Each Pension Plan that is intended to be a qualified plan under Section 401(a) of the Code has received a favorable determination letter from the Internal Revenue Service to the effect that the form of such Plan is qualified under Section 401(a) of the Code and the trust related thereto has been determined by the Internal Revenue Service to be exempt from federal income tax under Section 501(a) of the Code.`,
    ],
    [
      'Margin Regulations; Investment Company Act',
      `(a) ${B} is not engaged and will not engage, principally or as one of its important activities, in the business of purchasing or carrying margin stock (within the meaning of Regulation U issued by the FRB), or extending credit for the purpose of purchasing or carrying margin stock. (b) None of ${B}, any Person Controlling ${B}, or any Subsidiary is or is required to be registered as an ${'"'}investment company${'"'} under the Investment Company Act of 1940.`,
    ],
    [
      'Disclosure',
      `${B} has disclosed to the ${t.agent} and the Lenders all agreements, instruments and corporate or other restrictions to which it or any of its Subsidiaries is subject, and all other matters known to it, that, individually or in the aggregate, could reasonably be expected to result in a Material Adverse Effect. No report, financial statement, certificate or other information furnished (whether in writing or orally) by or on behalf of any ${t.loanParties} to the ${t.agent} or any Lender in connection with the transactions contemplated hereby contains any material misstatement of fact or omits to state any material fact necessary to make the statements therein, in the light of the circumstances under which they were made, not misleading.`,
    ],
    [
      'Compliance with Laws',
      `Each of ${B} and each Subsidiary is in compliance in all material respects with the requirements of all Laws and all orders, writs, injunctions and decrees applicable to it or to its properties, except in such instances in which (a) such requirement of Law or order, writ, injunction or decree is being contested in good faith by appropriate proceedings diligently conducted or (b) the failure to comply therewith, either individually or in the aggregate, could not reasonably be expected to have a Material Adverse Effect.`,
    ],
    [
      'OFAC; Anti-Corruption Laws',
      `Neither ${B}, nor any of its Subsidiaries, nor, to the knowledge of ${B} and its Subsidiaries, any director, officer, employee, agent, affiliate or representative thereof, is an individual or entity that is, or is owned or controlled by any individual or entity that is (i) currently the subject or target of any Sanctions, (ii) included on OFAC's List of Specially Designated Nationals, or (iii) located, organized or resident in a Designated Jurisdiction. ${B} and its Subsidiaries have conducted their businesses in compliance in all material respects with applicable Anti-Corruption Laws and have instituted and maintained policies and procedures designed to promote and achieve compliance with such laws.`,
    ],
  ];
}

export function affirmativeCovenants(t: Terms): [string, string][] {
  const B = `the ${t.borrower}`;
  const A = `the ${t.agent}`;
  return [
    [
      'Financial Statements',
      `Deliver to ${A}, in form and detail satisfactory to ${A} and the Required Lenders: (a) as soon as available, but in any event within 90 days after the end of each fiscal year of ${B}, a consolidated balance sheet of ${B} and its Subsidiaries as at the end of such fiscal year, and the related consolidated statements of income or operations, changes in shareholders' equity, and cash flows for such fiscal year, setting forth in each case in comparative form the figures for the previous fiscal year, all in reasonable detail and prepared in accordance with GAAP, audited and accompanied by a report and opinion of an independent certified public accountant of nationally recognized standing reasonably acceptable to the Required Lenders; and (b) as soon as available, but in any event within 45 days after the end of each of the first three fiscal quarters of each fiscal year of ${B}, a consolidated balance sheet of ${B} and its Subsidiaries as at the end of such fiscal quarter, and the related consolidated statements of income or operations for such fiscal quarter and for the portion of ${B}'s fiscal year then ended, certified by the chief executive officer, chief financial officer, treasurer or controller of ${B}.`,
    ],
    [
      'Certificates; Other Information',
      `Deliver to ${A}, in form and detail satisfactory to ${A} and the Required Lenders: (a) concurrently with the delivery of the financial statements referred to in Sections 6.01(a) and (b), a duly completed Compliance Certificate signed by the chief executive officer, chief financial officer, treasurer or controller of ${B}; (b) promptly after any request by ${A} or any Lender, copies of any detailed audit reports, management letters or recommendations submitted to the board of directors (or the audit committee of the board of directors) of ${B} by independent accountants in connection with the accounts or books of ${B} or any Subsidiary; and (c) promptly, such additional information regarding the business, financial or corporate affairs of ${B} or any Subsidiary, or compliance with the terms of the Loan Documents, as ${A} or any Lender may from time to time reasonably request.`,
    ],
    [
      'Notices',
      `Promptly notify ${A} and each Lender: (a) of the occurrence of any Default; (b) of any matter that has resulted or could reasonably be expected to result in a Material Adverse Effect; (c) of the occurrence of any ERISA Event; and (d) of any material change in accounting policies or financial reporting practices by ${B} or any Subsidiary. Each notice pursuant to this Section shall be accompanied by a statement of a Responsible Officer of ${B} setting forth details of the occurrence referred to therein and stating what action ${B} has taken and proposes to take with respect thereto.`,
    ],
    [
      'Payment of Obligations',
      `Pay and discharge as the same shall become due and payable, all its obligations and liabilities, including (a) all tax liabilities, assessments and governmental charges or levies upon it or its properties or assets, unless the same are being contested in good faith by appropriate proceedings diligently conducted and adequate reserves in accordance with GAAP are being maintained by ${B} or such Subsidiary; and (b) all lawful claims which, if unpaid, would by law become a Lien upon its property.`,
    ],
    [
      'Preservation of Existence, Etc.',
      `(a) Preserve, renew and maintain in full force and effect its legal existence and good standing under the Laws of the jurisdiction of its organization except in a transaction permitted by Section 7.04 or 7.05; (b) take all reasonable action to maintain all rights, privileges, permits, licenses and franchises necessary or desirable in the normal conduct of its business, except to the extent that failure to do so could not reasonably be expected to have a Material Adverse Effect; and (c) preserve or renew all of its registered patents, trademarks, trade names and service marks, the non-preservation of which could reasonably be expected to have a Material Adverse Effect.`,
    ],
    [
      'Maintenance of Properties',
      `(a) Maintain, preserve and protect all of its material properties and equipment necessary in the operation of its business in good working order and condition, ordinary wear and tear excepted; and (b) make all necessary repairs thereto and renewals and replacements thereof except where the failure to do so could not reasonably be expected to have a Material Adverse Effect.`,
    ],
    [
      'Maintenance of Insurance',
      `Maintain with financially sound and reputable insurance companies not Affiliates of ${B}, insurance with respect to its properties and business against loss or damage of the kinds customarily insured against by Persons engaged in the same or similar business, of such types and in such amounts as are customarily carried under similar circumstances by such other Persons.`,
    ],
    [
      'Books and Records',
      `(a) Maintain proper books of record and account, in which full, true and correct entries in conformity with GAAP consistently applied shall be made of all financial transactions and matters involving the assets and business of ${B} or such Subsidiary, as the case may be; and (b) maintain such books of record and account in material conformity with all applicable requirements of any Governmental Authority having regulatory jurisdiction over ${B} or such Subsidiary, as the case may be.`,
    ],
    [
      'Inspection Rights',
      `Permit representatives and independent contractors of ${A} and each Lender to visit and inspect any of its properties, to examine its corporate, financial and operating records, and make copies thereof or abstracts therefrom, and to discuss its affairs, finances and accounts with its directors, officers, and independent public accountants, all at the expense of ${B} and at such reasonable times during normal business hours and as often as may be reasonably desired, upon reasonable advance notice to ${B}.`,
    ],
    [
      'Use of Proceeds',
      `Use the proceeds of the Credit Extensions to refinance existing Indebtedness, to pay fees and expenses in connection with the transactions contemplated hereby, and for working capital, capital expenditures and other general corporate purposes not in contravention of any Law or of any Loan Document.`,
    ],
  ];
}

export function negativeCovenants(
  t: Terms,
  amounts: { liens: string; debt: string; investments: string; restricted: string },
): [string, string][] {
  const B = `the ${t.borrower}`;
  return [
    [
      'Liens',
      `Create, incur, assume or suffer to exist any Lien upon any of its property, assets or revenues, whether now owned or hereafter acquired, other than the following: (a) Liens pursuant to any Loan Document; (b) Liens existing on the date hereof and listed on Schedule 7.01 and any renewals or extensions thereof; (c) Liens for taxes not yet due or which are being contested in good faith and by appropriate proceedings diligently conducted; (d) carriers', warehousemen's, mechanics', materialmen's, repairmen's or other like Liens arising in the ordinary course of business which are not overdue for a period of more than 30 days; (e) pledges or deposits in the ordinary course of business in connection with workers' compensation, unemployment insurance and other social security legislation; (f) Liens securing Indebtedness permitted under Section 7.03(e); provided that such Liens do not at any time encumber any property other than the property financed by such Indebtedness; and (g) other Liens securing obligations in an aggregate principal amount not to exceed ${amounts.liens} at any time outstanding.`,
    ],
    [
      'Investments',
      `Make any Investments, except: (a) Investments held by ${B} or such Subsidiary in the form of Cash Equivalents; (b) advances to officers, directors and employees of ${B} and Subsidiaries in an aggregate amount not to exceed $2,500,000 at any time outstanding, for travel, entertainment, relocation and analogous ordinary business purposes; (c) Investments of ${B} in any wholly-owned Subsidiary and Investments of any wholly-owned Subsidiary in ${B} or in another wholly-owned Subsidiary; (d) Permitted Acquisitions; and (e) other Investments in an aggregate amount not to exceed ${amounts.investments} at any time outstanding.`,
    ],
    [
      'Indebtedness',
      `Create, incur, assume or suffer to exist any Indebtedness, except: (a) Indebtedness under the Loan Documents; (b) Indebtedness outstanding on the date hereof and listed on Schedule 7.03 and any refinancings, refundings, renewals or extensions thereof; (c) Guarantees of ${B} or any Subsidiary in respect of Indebtedness otherwise permitted hereunder; (d) obligations (contingent or otherwise) existing or arising under any Swap Contract, provided that such obligations are (or were) entered into in the ordinary course of business for the purpose of directly mitigating risks; (e) Indebtedness in respect of Capitalized Leases, Synthetic Lease Obligations and purchase money obligations for fixed or capital assets within the limitations set forth in Section 7.01(f); provided, however, that the aggregate amount of all such Indebtedness at any one time outstanding shall not exceed $40,000,000; and (f) other unsecured Indebtedness of ${B} or any Subsidiary in an aggregate principal amount not to exceed ${amounts.debt} at any time outstanding; provided that, on a pro forma basis after giving effect to the incurrence thereof, the Consolidated Leverage Ratio would not exceed 3.00 to 1.00.`,
    ],
    [
      'Fundamental Changes',
      `Merge, dissolve, liquidate, consolidate with or into another Person, or Dispose of (whether in one transaction or in a series of transactions) all or substantially all of its assets (whether now owned or hereafter acquired) to or in favor of any Person, except that, so long as no Default exists or would result therefrom, (a) any Subsidiary may merge with (i) ${B}, provided that ${B} shall be the continuing or surviving Person, or (ii) any one or more other Subsidiaries; and (b) any Subsidiary may Dispose of all or substantially all of its assets (upon voluntary liquidation or otherwise) to ${B} or to another Subsidiary.`,
    ],
    [
      'Dispositions',
      `Make any Disposition or enter into any agreement to make any Disposition, except (a) Dispositions of obsolete or worn out property, whether now owned or hereafter acquired, in the ordinary course of business; (b) Dispositions of inventory in the ordinary course of business; (c) Dispositions of property by any Subsidiary to ${B} or to a wholly-owned Subsidiary; and (d) other Dispositions so long as the aggregate book value of all property Disposed of in reliance on this clause (d) in any fiscal year shall not exceed 10% of the consolidated total assets of ${B} and its Subsidiaries as of the end of the immediately preceding fiscal year.`,
    ],
    [
      'Restricted Payments',
      `Declare or make, directly or indirectly, any Restricted Payment, or incur any obligation (contingent or otherwise) to do so, except that (a) each Subsidiary may make Restricted Payments to ${B} and to wholly-owned Subsidiaries; (b) ${B} and each Subsidiary may declare and make dividend payments or other distributions payable solely in the common stock or other common Equity Interests of such Person; and (c) ${B} may make other Restricted Payments so long as no Default shall have occurred and be continuing at the time of any action described above or would result therefrom, in an aggregate amount in any fiscal year not to exceed ${amounts.restricted}.`,
    ],
    [
      'Change in Nature of Business',
      `Engage in any material line of business substantially different from those lines of business conducted by ${B} and its Subsidiaries on the date hereof or any business substantially related or incidental thereto.`,
    ],
    [
      'Transactions with Affiliates',
      `Enter into any transaction of any kind with any Affiliate of ${B}, whether or not in the ordinary course of business, other than on fair and reasonable terms substantially as favorable to ${B} or such Subsidiary as would be obtainable by ${B} or such Subsidiary at the time in a comparable arm's length transaction with a Person other than an Affiliate.`,
    ],
    [
      'Burdensome Agreements',
      `Enter into any Contractual Obligation (other than this Agreement or any other Loan Document) that limits the ability of any Subsidiary to make Restricted Payments to ${B} or to otherwise transfer property to ${B}, or of ${B} or any Subsidiary to create, incur, assume or suffer to exist Liens on property of such Person in favor of the Lenders.`,
    ],
    [
      'Use of Proceeds',
      `Use the proceeds of any Credit Extension, whether directly or indirectly, and whether immediately, incidentally or ultimately, to purchase or carry margin stock (within the meaning of Regulation U of the FRB) or to extend credit to others for the purpose of purchasing or carrying margin stock or to refund indebtedness originally incurred for such purpose.`,
    ],
  ];
}

export function agencyProvisions(t: Terms): [string, string][] {
  const A = `the ${t.agent}`;
  return [
    [
      'Appointment and Authority',
      `Each of the Lenders and each L/C Issuer hereby irrevocably appoints ${A} to act on its behalf as the ${t.agent} hereunder and under the other Loan Documents and authorizes ${A} to take such actions on its behalf and to exercise such powers as are delegated to ${A} by the terms hereof or thereof, together with such actions and powers as are reasonably incidental thereto. The provisions of this Article are solely for the benefit of ${A}, the Lenders and the L/C Issuers, and the ${t.borrower} shall not have rights as a third party beneficiary of any of such provisions.`,
    ],
    [
      'Rights as a Lender',
      `The Person serving as the ${t.agent} hereunder shall have the same rights and powers in its capacity as a Lender as any other Lender and may exercise the same as though it were not the ${t.agent}, and the term ${'"'}Lender${'"'} or ${'"'}Lenders${'"'} shall, unless otherwise expressly indicated or unless the context otherwise requires, include the Person serving as the ${t.agent} hereunder in its individual capacity.`,
    ],
    [
      'Exculpatory Provisions',
      `${A} shall not have any duties or obligations except those expressly set forth herein and in the other Loan Documents, and its duties hereunder shall be administrative in nature. Without limiting the generality of the foregoing, ${A} (a) shall not be subject to any fiduciary or other implied duties, regardless of whether a Default has occurred and is continuing; (b) shall not have any duty to take any discretionary action or exercise any discretionary powers, except discretionary rights and powers expressly contemplated hereby that ${A} is required to exercise as directed in writing by the Required Lenders; and (c) shall not, except as expressly set forth herein and in the other Loan Documents, have any duty to disclose, and shall not be liable for the failure to disclose, any information relating to the ${t.borrower} or any of its Affiliates.`,
    ],
    [
      'Reliance by the Administrative Agent',
      `${A} shall be entitled to rely upon, and shall not incur any liability for relying upon, any notice, request, certificate, consent, statement, instrument, document or other writing (including any electronic message, Internet or intranet website posting or other distribution) believed by it to be genuine and to have been signed, sent or otherwise authenticated by the proper Person.`,
    ],
    [
      'Delegation of Duties',
      `${A} may perform any and all of its duties and exercise its rights and powers hereunder or under any other Loan Document by or through any one or more sub-agents appointed by ${A}. ${A} and any such sub-agent may perform any and all of its duties and exercise its rights and powers by or through their respective Related Parties.`,
    ],
    [
      'Resignation of Administrative Agent',
      `${A} may at any time give notice of its resignation to the Lenders, the L/C Issuers and the ${t.borrower}. Upon receipt of any such notice of resignation, the Required Lenders shall have the right, in consultation with the ${t.borrower}, to appoint a successor, which shall be a bank with an office in the United States, or an Affiliate of any such bank with an office in the United States. If no such successor shall have been so appointed by the Required Lenders and shall have accepted such appointment within 30 days after the retiring ${t.agent} gives notice of its resignation, then the retiring ${t.agent} may on behalf of the Lenders and the L/C Issuers, appoint a successor ${t.agent} meeting the qualifications set forth above.`,
    ],
    [
      'Non-Reliance on Administrative Agent and Other Lenders',
      `Each Lender and each L/C Issuer acknowledges that it has, independently and without reliance upon ${A} or any other Lender or any of their Related Parties and based on such documents and information as it has deemed appropriate, made its own credit analysis and decision to enter into this Agreement.`,
    ],
    [
      'No Other Duties, Etc.',
      `Anything herein to the contrary notwithstanding, none of the Arrangers, bookrunners, syndication agents or documentation agents listed on the cover page hereof shall have any powers, duties or responsibilities under this Agreement or any of the other Loan Documents, except in its capacity, as applicable, as the ${t.agent}, a Lender or an L/C Issuer hereunder.`,
    ],
  ];
}

export function miscProvisions(t: Terms, law: string, lawCaps: boolean): [string, string][] {
  const A = `the ${t.agent}`;
  const B = `the ${t.borrower}`;
  const gov = lawCaps
    ? `(a) GOVERNING LAW. THIS AGREEMENT AND THE OTHER LOAN DOCUMENTS (EXCEPT, AS TO ANY OTHER LOAN DOCUMENT, AS EXPRESSLY SET FORTH THEREIN) AND ANY CLAIMS, CONTROVERSY, DISPUTE OR CAUSE OF ACTION (WHETHER IN CONTRACT OR TORT OR OTHERWISE) BASED UPON, ARISING OUT OF OR RELATING TO THIS AGREEMENT OR ANY OTHER LOAN DOCUMENT AND THE TRANSACTIONS CONTEMPLATED HEREBY AND THEREBY SHALL BE GOVERNED BY, AND CONSTRUED IN ACCORDANCE WITH, THE LAW OF THE STATE OF ${law.toUpperCase()}. (b) SUBMISSION TO JURISDICTION. ${B.toUpperCase()} IRREVOCABLY AND UNCONDITIONALLY AGREES THAT IT WILL NOT COMMENCE ANY ACTION, LITIGATION OR PROCEEDING OF ANY KIND OR DESCRIPTION, WHETHER IN LAW OR EQUITY, WHETHER IN CONTRACT OR IN TORT OR OTHERWISE, AGAINST THE ${t.agent.toUpperCase()}, ANY LENDER, ANY L/C ISSUER, OR ANY RELATED PARTY OF THE FOREGOING IN ANY WAY RELATING TO THIS AGREEMENT OR ANY OTHER LOAN DOCUMENT IN ANY FORUM OTHER THAN THE COURTS OF THE STATE OF NEW YORK SITTING IN NEW YORK COUNTY AND OF THE UNITED STATES DISTRICT COURT OF THE SOUTHERN DISTRICT OF NEW YORK.`
    : `(a) This Agreement shall be construed in accordance with and governed by the law of the State of ${law}, without regard to principles of conflicts of law that would require the application of the laws of another jurisdiction. (b) Each of the parties hereto hereby irrevocably and unconditionally submits, for itself and its property, to the exclusive jurisdiction of the courts of the State of ${law} and of the United States District Court sitting therein, and any appellate court from any thereof, in any action or proceeding arising out of or relating to this Agreement or any other Loan Document.`;
  return [
    [
      'Amendments, Etc.',
      `No amendment or waiver of any provision of this Agreement or any other Loan Document, and no consent to any departure by ${B} therefrom, shall be effective unless in writing signed by the Required Lenders and ${B}, and acknowledged by ${A}, and each such waiver or consent shall be effective only in the specific instance and for the specific purpose for which given; provided, however, that no such amendment, waiver or consent shall (a) extend or increase the Commitment of any Lender without the written consent of such Lender; (b) postpone any date fixed by this Agreement for any payment of principal, interest, fees or other amounts due to the Lenders without the written consent of each Lender directly affected thereby; or (c) reduce the principal of, or the rate of interest specified herein on, any Loan without the written consent of each Lender directly affected thereby.`,
    ],
    [
      'Notices; Effectiveness; Electronic Communication',
      `Except in the case of notices and other communications expressly permitted to be given by telephone, all notices and other communications provided for herein shall be in writing and shall be delivered by hand or overnight courier service, mailed by certified or registered mail or sent by telecopier or electronic mail to the address, telecopier number, electronic mail address or telephone number specified for such Person on Schedule 10.02. Notices and other communications sent by hand or overnight courier service, or mailed by certified or registered mail, shall be deemed to have been given when received.`,
    ],
    [
      'No Waiver; Cumulative Remedies; Enforcement',
      `No failure by any Lender, any L/C Issuer or ${A} to exercise, and no delay by any such Person in exercising, any right, remedy, power or privilege hereunder or under any other Loan Document shall operate as a waiver thereof; nor shall any single or partial exercise of any right, remedy, power or privilege hereunder preclude any other or further exercise thereof or the exercise of any other right, remedy, power or privilege. The rights, remedies, powers and privileges herein provided are cumulative and not exclusive of any rights, remedies, powers and privileges provided by law.`,
    ],
    [
      'Expenses; Indemnity; Damage Waiver',
      `${B} shall pay (i) all reasonable out-of-pocket expenses incurred by ${A} and its Affiliates (including the reasonable fees, charges and disbursements of counsel for ${A}), in connection with the syndication of the credit facilities provided for herein, the preparation, negotiation, execution, delivery and administration of this Agreement and the other Loan Documents, and (ii) all out-of-pocket expenses incurred by ${A}, any Lender or any L/C Issuer in connection with the enforcement or protection of its rights in connection with this Agreement and the other Loan Documents. ${B} shall indemnify ${A}, each Lender and each L/C Issuer, and each Related Party of any of the foregoing Persons against, and hold each Indemnitee harmless from, any and all losses, claims, damages, liabilities and related expenses.`,
    ],
    [
      'Successors and Assigns',
      `The provisions of this Agreement shall be binding upon and inure to the benefit of the parties hereto and their respective successors and assigns permitted hereby, except that ${B} may not assign or otherwise transfer any of its rights or obligations hereunder without the prior written consent of ${A} and each Lender. Any Lender may at any time assign to one or more Eligible Assignees all or a portion of its rights and obligations under this Agreement; provided that, except in the case of an assignment of the entire remaining amount of the assigning Lender's Commitment, the aggregate amount of the Commitment subject to each such assignment shall not be less than $5,000,000 unless each of ${A} and, so long as no Event of Default has occurred and is continuing, ${B} otherwise consents.`,
    ],
    [
      'Treatment of Certain Information; Confidentiality',
      `Each of ${A}, the Lenders and the L/C Issuers agrees to maintain the confidentiality of the Information, except that Information may be disclosed (a) to its Affiliates and to its and its Affiliates' respective partners, directors, officers, employees, agents, advisors and representatives, (b) to the extent required or requested by any regulatory authority purporting to have jurisdiction over such Person, (c) to the extent required by applicable laws or regulations or by any subpoena or similar legal process, and (d) with the consent of ${B}.`,
    ],
    [
      'Counterparts; Integration; Effectiveness',
      `This Agreement may be executed in counterparts (and by different parties hereto in different counterparts), each of which shall constitute an original, but all of which when taken together shall constitute a single contract. This Agreement and the other Loan Documents constitute the entire contract among the parties relating to the subject matter hereof and supersede any and all previous agreements and understandings, oral or written, relating to the subject matter hereof.`,
    ],
    [
      'Severability',
      `If any provision of this Agreement or the other Loan Documents is held to be illegal, invalid or unenforceable, (a) the legality, validity and enforceability of the remaining provisions of this Agreement and the other Loan Documents shall not be affected or impaired thereby and (b) the parties shall endeavor in good faith negotiations to replace the illegal, invalid or unenforceable provisions with valid provisions the economic effect of which comes as close as possible to that of the illegal, invalid or unenforceable provisions.`,
    ],
    ['Governing Law; Jurisdiction; Etc.', gov],
    [
      'Waiver of Jury Trial',
      `EACH PARTY HERETO HEREBY IRREVOCABLY WAIVES, TO THE FULLEST EXTENT PERMITTED BY APPLICABLE LAW, ANY RIGHT IT MAY HAVE TO A TRIAL BY JURY IN ANY LEGAL PROCEEDING DIRECTLY OR INDIRECTLY ARISING OUT OF OR RELATING TO THIS AGREEMENT OR ANY OTHER LOAN DOCUMENT OR THE TRANSACTIONS CONTEMPLATED HEREBY OR THEREBY (WHETHER BASED ON CONTRACT, TORT OR ANY OTHER THEORY).`,
    ],
    [
      'USA PATRIOT Act Notice',
      `Each Lender that is subject to the Act (as hereinafter defined) and ${A} (for itself and not on behalf of any Lender) hereby notifies ${B} that pursuant to the requirements of the USA PATRIOT Act (Title III of Pub. L. 107-56 (signed into law October 26, 2001)), it is required to obtain, verify and record information that identifies ${B}, which information includes the name and address of ${B} and other information that will allow such Lender or ${A}, as applicable, to identify ${B} in accordance with the Act.`,
    ],
    [
      'Acknowledgement and Consent to Bail-In of Affected Financial Institutions',
      `Notwithstanding anything to the contrary in any Loan Document or in any other agreement, arrangement or understanding among any such parties, each party hereto acknowledges that any liability of any Affected Financial Institution arising under any Loan Document, to the extent such liability is unsecured, may be subject to the Write-Down and Conversion Powers of the applicable Resolution Authority and agrees and consents to, and acknowledges and agrees to be bound by, the application of any Write-Down and Conversion Powers by the applicable Resolution Authority to any such liabilities arising hereunder which may be payable to it by any party hereto that is an Affected Financial Institution.`,
    ],
  ];
}

/** Exhibits: forms whose placeholders, dates and own governing-law clauses must not leak into results. */
export function exhibits(t: Terms, agentName: string, borrowerName: string): string[] {
  return [
    `EXHIBIT A\n\nFORM OF COMMITTED LOAN NOTICE\n\nDate: ___________, _____\n\nTo: ${agentName}, as ${t.agent}\n\nLadies and Gentlemen:\n\nReference is made to that certain Credit Agreement, dated as of [__________], 20[__] (as amended, restated, extended, supplemented or otherwise modified in writing from time to time, the "Agreement;" the terms defined therein being used herein as therein defined), among ${borrowerName}, the Lenders from time to time party thereto, and ${agentName}, as ${t.agent}, L/C Issuer and Swing Line Lender.\n\nThe undersigned hereby requests (select one):\n\n[ ] A Borrowing of Committed Loans [ ] A conversion or continuation of Committed Loans\n\n1. On _____________________ (a Business Day).\n2. In the amount of $______________.\n3. Comprised of ______________ [Type of Committed Loan requested].\n4. For Term SOFR Loans: with an Interest Period of ______ months.\n\nThe Committed Borrowing requested herein complies with the proviso to the first sentence of Section 2.01 of the Agreement.\n\n[BORROWER]\n\nBy:\nName:\nTitle:`,
    `EXHIBIT B\n\nFORM OF NOTE\n\n______________, _____\n\nFOR VALUE RECEIVED, the undersigned (the "Borrower"), hereby promises to pay to ______________________ or registered assigns (the "Lender"), in accordance with the provisions of the Agreement (as hereinafter defined), the principal amount of each Loan from time to time made by the Lender to the Borrower under that certain Credit Agreement, dated as of [__________], 20[__] (as amended, restated, extended, supplemented or otherwise modified in writing from time to time, the "Agreement;" the terms defined therein being used herein as therein defined), among the Borrower, the Lenders from time to time party thereto, and ${agentName}, as ${t.agent}.\n\nThe Borrower promises to pay interest on the unpaid principal amount of each Loan from the date of such Loan until such principal amount is paid in full, at such interest rates and at such times as provided in the Agreement. All payments of principal and interest shall be made to the ${t.agent} for the account of the Lender in Dollars in immediately available funds at the ${t.agent}'s Office.\n\nTHIS NOTE SHALL BE GOVERNED BY AND CONSTRUED IN ACCORDANCE WITH THE LAW OF THE STATE OF NEW YORK.\n\n[BORROWER]\n\nBy:\nName:\nTitle:`,
    `EXHIBIT C\n\nFORM OF COMPLIANCE CERTIFICATE\n\nFinancial Statement Date: [__________], 20[__]\n\nTo: ${agentName}, as ${t.agent}\n\nLadies and Gentlemen:\n\nReference is made to that certain Credit Agreement, dated as of [__________], 20[__] (as amended, restated, extended, supplemented or otherwise modified in writing from time to time, the "Agreement;" the terms defined therein being used herein as therein defined), among ${borrowerName}, the Lenders from time to time party thereto, and ${agentName}, as ${t.agent}.\n\nThe undersigned Responsible Officer hereby certifies as of the date hereof that he/she is the ______________ of the ${t.borrower}, and that, as such, he/she is authorized to execute and deliver this Certificate to the ${t.agent} on the behalf of the ${t.borrower}, and that:\n\n1. The ${t.borrower} has delivered the year-end audited financial statements required by Section 6.01(a) of the Agreement for the fiscal year of the ${t.borrower} ended as of the above date.\n\n2. The financial covenant analyses and information set forth on Schedule 2 attached hereto are true and accurate on and as of the date of this Certificate.\n\nConsolidated Leverage Ratio: ____ to 1.00 (maximum permitted: ____ to 1.00)\n\nConsolidated Interest Coverage Ratio: ____ to 1.00 (minimum required: ____ to 1.00)\n\nIN WITNESS WHEREOF, the undersigned has executed this Certificate as of ______________, _____.\n\n[BORROWER]\n\nBy:\nName:\nTitle:`,
    `EXHIBIT D\n\nFORM OF ASSIGNMENT AND ASSUMPTION\n\nThis Assignment and Assumption (the "Assignment and Assumption") is dated as of the Effective Date set forth below and is entered into by and between [Insert name of Assignor] (the "Assignor") and [Insert name of Assignee] (the "Assignee"). Capitalized terms used but not defined herein shall have the meanings given to them in the Credit Agreement identified below, receipt of a copy of which is hereby acknowledged by the Assignee.\n\nFor an agreed consideration, the Assignor hereby irrevocably sells and assigns to the Assignee, and the Assignee hereby irrevocably purchases and assumes from the Assignor, subject to and in accordance with the Standard Terms and Conditions and the Credit Agreement, as of the Effective Date inserted by the ${t.agent} as contemplated below, the interest in and to all of the Assignor's rights and obligations in its capacity as a Lender under the Credit Agreement.\n\n1. Assignor: ______________________________\n2. Assignee: ______________________________\n3. Borrower(s): ${borrowerName}\n4. Administrative Agent: ${agentName}, as the administrative agent under the Credit Agreement\n5. Assigned Interest: Aggregate Amount of Commitment for all Lenders $________ Amount of Commitment Assigned $________\n\nEffective Date: _____________, 20___\n\nThis Assignment and Assumption shall be governed by, and construed in accordance with, the law of the State of New York.\n\nASSIGNOR [NAME OF ASSIGNOR]\n\nBy:\nTitle:\n\nASSIGNEE [NAME OF ASSIGNEE]\n\nBy:\nTitle:`,
  ];
}
