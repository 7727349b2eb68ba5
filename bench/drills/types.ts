/**
 * One crash or outage drill: a scripted, repeatable scenario against a running service process
 * (`npm run drills` runs each several times and records the outcomes in docs/reliability.md).
 * A drill never asserts timing: it measures times (figures) and checks invariants (checks).
 */
export interface DrillContext {
  /** 1-based index of this repetition. */
  run: number;
  /** A fresh folder for this repetition (data dirs, logs); removed afterwards. */
  workDir: string;
  log(message: string): void;
}

export interface DrillCheck {
  /** What must hold, in words: "no document row without its blob". */
  name: string;
  ok: boolean;
  /** Why it failed, or a short observation. */
  detail?: string;
}

export interface DrillOutcome {
  checks: DrillCheck[];
  /** Measured figures for this repetition, e.g. { 'ms to 503 after the stop': 412 }. Units in the name. */
  figures: Record<string, number>;
}

export interface Drill {
  /** Short id used by --only, e.g. "postgres-outage". */
  id: string;
  /** One line for the report: what is done to the service. */
  title: string;
  run(ctx: DrillContext): Promise<DrillOutcome>;
}
