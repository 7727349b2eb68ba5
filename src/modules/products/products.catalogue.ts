/** The legacy service's catalogue; its ids are kept so that old references still resolve. */
export const DEFAULT_PRODUCTS = [
  { id: 'equipment-financing', name: 'Equipment Financing', description: 'Loans and leases secured by the equipment they finance.' },
  { id: 'syndicated-loans', name: 'Syndicated Loans', description: 'Credit facilities provided by a group of lenders under one agreement, run by an agent.' },
  { id: 'SBA-loans', name: 'SBA Loans', description: 'Loans partly guaranteed by the U.S. Small Business Administration.' },
  { id: 'LOC-loans', name: 'Line of Credit Loans', description: 'Revolving lines of credit drawn and repaid as needed up to a limit.' },
  { id: 'term-loans', name: 'Term Loans', description: 'Loans of a fixed amount repaid on a schedule over a set term.' },
  { id: 'working-capital-loans', name: 'Working Capital Loans', description: 'Short-term financing of day-to-day operations.' },
] as const;
