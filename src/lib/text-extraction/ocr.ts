import { createRequire } from 'node:module';
import Tesseract from 'tesseract.js';

/** Text recognition on one encoded image (PNG, JPEG, BMP...). */
export interface OcrEngine {
  recognize(image: Buffer): Promise<string>;
  /** Ends the engine's worker; the engine must not be used afterwards. */
  close(): Promise<void>;
}

/** A recognition job that failed, typically because the image bytes cannot be decoded. */
export class OcrError extends Error {
  override name = 'OcrError';
}

interface LanguageData {
  langPath: string;
  gzip: boolean;
}

const require = createRequire(import.meta.url);

/**
 * Tesseract's English model from the installed `@tesseract.js-data/eng` package: without an
 * explicit local langPath tesseract.js downloads the model, which fails offline and crashes the
 * process from inside its worker.
 */
function englishData(): LanguageData {
  const data = require('@tesseract.js-data/eng') as LanguageData;
  return { langPath: data.langPath, gzip: data.gzip };
}

/**
 * An OCR engine over one lazily created tesseract.js worker, reused for every page so a long
 * scan pays the worker start-up (~0.5 s, tens of MiB) once. Calls are serialised by the worker.
 */
export function createOcrEngine(): OcrEngine {
  let worker: Promise<Tesseract.Worker> | undefined;
  let closed = false;

  const getWorker = (): Promise<Tesseract.Worker> => {
    if (closed) return Promise.reject(new Error('OCR engine is closed'));
    if (!worker) {
      const { langPath, gzip } = englishData();
      worker = Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, {
        langPath,
        gzip,
        cacheMethod: 'none',
        // Without a handler tesseract.js rethrows a failed job (an unreadable image) from an
        // event callback, which kills the process; with one, only the job's promise rejects.
        errorHandler: () => {},
      });
      // A failed start must not poison the engine: the next call tries again.
      worker.catch(() => {
        worker = undefined;
      });
    }
    return worker;
  };

  return {
    async recognize(image) {
      const w = await getWorker();
      try {
        const result = await w.recognize(image);
        return result.data.text;
      } catch (err) {
        // tesseract.js rejects with a bare string.
        throw err instanceof Error ? err : new OcrError(String(err));
      }
    },
    async close() {
      closed = true;
      const pending = worker;
      worker = undefined;
      if (!pending) return;
      try {
        await (await pending).terminate();
      } catch {
        // A worker that never started has nothing to terminate.
      }
    },
  };
}
