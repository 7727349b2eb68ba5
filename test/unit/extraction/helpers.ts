import type { ExtractionOutput, SourcePage } from '../../../src/modules/extraction/engine.js';
import { runRules } from '../../../src/modules/extraction/engines/rules/index.js';

/** Pages of one document from text with form feeds between pages. */
export function pagesOf(text: string, documentId = 'doc-1'): SourcePage[] {
  return text.split('\f').map((t, i) => ({ documentId, page: i + 1, text: t }));
}

export function extract(text: string, schemaName = 'credit_agreement'): ExtractionOutput {
  return runRules({ schemaName, pages: pagesOf(text) });
}

export function valueOf(text: string, field: string, schemaName = 'credit_agreement'): unknown {
  return extract(text, schemaName).fields[field]?.value ?? null;
}

/** Every evidence quote must be the exact slice of its page at its offsets. */
export function assertEvidenceExact(out: ExtractionOutput, pages: SourcePage[]): void {
  for (const [field, r] of Object.entries(out.fields)) {
    for (const e of r.evidence) {
      const page = pages.find((p) => p.documentId === e.document_id && p.page === e.page);
      if (!page) throw new Error(`${field}: evidence on unknown page ${e.page}`);
      if (page.text.slice(e.start, e.end) !== e.quote)
        throw new Error(`${field}: quote does not match offsets`);
    }
  }
}
